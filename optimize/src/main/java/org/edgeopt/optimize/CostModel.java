package org.edgeopt.optimize;

import java.util.Set;
import org.edgeopt.core.cost.LayerCosts;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.targets.TargetProfile;

/**
 * The modelled cost of a trial on its target: each node of the FP32 graph at its trial precision,
 * timed by the profile's roofline ({@link TargetProfile#rooflineSeconds}) over edgeopt's one cost
 * model ({@link LayerCosts}: multiply-accumulates and elements moved). A pruned trial is costed on
 * its pruned FP32 graph against the input model's time; a 2:4 sparse layer counts half its
 * multiply-accumulates (sparse tensor cores skip the zeros; the compressed weights' smaller
 * reads are not modelled).
 *
 * <p>It is a model, and says so wherever it is shown: it ignores kernel fusion, launch overheads
 * and caches. It is deterministic, which is why the search steers by it even where latency is
 * measured: the same seed then proposes the same trials on every machine.
 */
final class CostModel {
  /**
   * Operations per second assumed for a precision the profile has no peak for (a layer left in
   * float on an INT8-only accelerator runs on its host CPU): a modest embedded CPU core.
   */
  static final double HOST_FALLBACK_OPS_PER_SECOND = 1.0e10;

  private final TargetProfile profile;
  private final double fp32Seconds;

  /** Creates the model of a profile, with the input FP32 model as the reference every speed-up is over. */
  CostModel(Graph floatGraph, TargetProfile profile) {
    this.profile = profile;
    this.fp32Seconds = seconds(floatGraph, Set.of(), null);
  }

  /**
   * Returns the input FP32 model's time over the trial's, both modelled.
   *
   * @param graph the trial's FP32 graph (pruned when the trial prunes)
   * @param sparse the layers of {@code graph} pruned to 2:4
   */
  double speedup(Graph graph, Set<String> sparse, TrialConfig config) {
    double t = seconds(graph, sparse, config);
    return t <= 0 ? 1 : fp32Seconds / t;
  }

  /**
   * Returns the trial's multiply-accumulates at batch 1, with the zero channels padding adds and
   * half of each 2:4 sparse layer's skipped.
   */
  long macs(Graph graph, Set<String> sparse, TrialConfig config) {
    long total = 0;
    for (Node n : graph.nodes()) {
      total = LayerCosts.saturatedSum(total, effectiveMacs(graph, sparse, n, config));
    }
    return total;
  }

  private long effectiveMacs(Graph graph, Set<String> sparse, Node n, TrialConfig config) {
    long m = Math.round(LayerCosts.macs(graph, n) * paddingFactor(graph, n, config));
    return sparse.contains(n.name()) ? m / 2 : m;
  }

  /** Returns the modelled seconds of a trial; {@code null} for the FP32 model. */
  private double seconds(Graph graph, Set<String> sparse, TrialConfig config) {
    double total = 0;
    for (Node n : graph.nodes()) {
      String precision = precision(n, config);
      int bytes = precision.equals("int8") ? 1 : precision.equals("fp16") ? 2 : 4;
      long macs = effectiveMacs(graph, sparse, n, config);
      long moved = LayerCosts.saturatedProduct(LayerCosts.elementsMoved(graph, n), bytes);
      Double peak = profile.peakOpsPerSecond().get(precision);
      total +=
          peak == null || peak <= 0
              ? Math.max(
                  2.0 * macs / HOST_FALLBACK_OPS_PER_SECOND,
                  moved / Math.max(1, profile.memoryBandwidthBytesPerSecond()))
              : profile.rooflineSeconds(macs, moved, precision);
    }
    return total;
  }

  private static String precision(Node n, TrialConfig config) {
    if (config == null) {
      return "fp32";
    }
    if (!config.int8()) {
      return "fp16";
    }
    Set<String> floats = Set.copyOf(config.floatLayers());
    return floats.contains(n.name()) ? (config.fp16Islands() ? "fp16" : "fp32") : "int8";
  }

  /** Returns padded over real input channels of a group-1 Conv that the trial quantizes and pads, else 1. */
  private double paddingFactor(Graph graph, Node n, TrialConfig config) {
    int multiple = profile.convInputChannelMultiple();
    if (config == null
        || !config.padChannels()
        || multiple <= 1
        || !n.opType().equals("Conv")
        || n.intAttr("group", 1) != 1
        || config.floatLayers().contains(n.name())) {
      return 1;
    }
    long[] w = LayerCosts.sizes(graph, n.input(1));
    if (w == null || w.length != 4 || w[1] <= 0 || w[1] % multiple == 0) {
      return 1;
    }
    long padded = (w[1] + multiple - 1) / multiple * multiple;
    return (double) padded / w[1];
  }
}
