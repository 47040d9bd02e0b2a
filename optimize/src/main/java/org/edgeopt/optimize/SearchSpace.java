package org.edgeopt.optimize;

import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.targets.TargetProfile;

/**
 * The configurations a target allows, read from its profile: the calibration methods and
 * percentiles, FP16 where it runs FP16, float fallback where it runs FP32 (an INT8-only
 * accelerator such as the Edge TPU would hand a float layer to its host CPU), channel padding
 * where the profile pads, FP16 islands (float layers in FP16) where it runs both float precisions,
 * dense channel pruning levels (fewer MACs pay on every target), and 2:4
 * semi-structured sparsity where the profile declares sparse kernels.
 *
 * @param methods the calibration methods, in the order the plain phase tries them
 * @param percentiles the percentiles the percentile method may keep (the first is the default)
 * @param fp16 whether FP16 is a candidate
 * @param floatFallback whether INT8 layers may stay in float
 * @param padding whether channel padding can be switched off (the profile pads by default)
 * @param pruneLevels the shares of channels dense pruning may remove, 0 (none) first
 * @param twoFour whether 2:4 sparsity is a candidate
 * @param fp16Islands whether float layers may run in FP16 instead of FP32 (a target that runs both)
 */
record SearchSpace(
    List<String> methods,
    List<Double> percentiles,
    boolean fp16,
    boolean floatFallback,
    boolean padding,
    List<Double> pruneLevels,
    boolean twoFour,
    boolean fp16Islands) {

  /**
   * The channel pruning levels: none, then the first two rungs of the prune module's own ladder
   * (keep 87.5% and 75%); deeper levels cost more accuracy than a post-training search without
   * fine-tuning can hope to win back.
   */
  static final List<Double> PRUNE_LEVELS = List.of(0.0, 0.125, 0.25);

  SearchSpace {
    methods = List.copyOf(methods);
    percentiles = List.copyOf(percentiles);
    pruneLevels = List.copyOf(pruneLevels);
  }

  /** Returns the space a profile allows. */
  static SearchSpace of(TargetProfile profile) {
    return new SearchSpace(
        List.of("minmax", "percentile", "entropy", "mse"),
        List.of(99.99, 99.9, 99.999),
        profile.supportsPrecision("fp16"),
        profile.supportsPrecision("fp32"),
        profile.convInputChannelMultiple() > 1,
        PRUNE_LEVELS,
        profile.exploits24Sparsity(),
        profile.supportsPrecision("fp16") && profile.supportsPrecision("fp32"));
  }

  /**
   * Returns this space without the pruning levels that remove no channel of {@code graph}, or
   * remove the same channels as a lower level (a small group rounds back to all its channels; a
   * group feeding a reshape cannot be pruned): such a trial would re-measure a graph already
   * measured.
   */
  SearchSpace forGraph(org.edgeopt.core.graph.Graph graph, String where)
      throws org.edgeopt.core.EdgeoptException {
    org.edgeopt.prune.ChannelGroups groups = org.edgeopt.prune.ChannelGroups.analyse(graph, where);
    List<Double> kept = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (double level : pruneLevels) {
      java.util.Map<Integer, int[]> keep =
          level == 0
              ? java.util.Map.of()
              : org.edgeopt.prune.ChannelPruner.keepShare(groups, level);
      StringBuilder key = new StringBuilder();
      new java.util.TreeMap<>(keep)
          .forEach((id, ch) -> key.append(id).append(java.util.Arrays.toString(ch)).append(';'));
      if (!seen.contains(key.toString())) {
        seen.add(key.toString());
        kept.add(level);
      }
    }
    return new SearchSpace(
        methods, percentiles, fp16, floatFallback, padding, kept, twoFour, fp16Islands);
  }

  /** Returns the plain configurations, cheapest to judge first: every method as the profile runs it, then FP16. */
  List<TrialConfig> plain() {
    List<TrialConfig> list = new ArrayList<>();
    for (String m : methods) {
      list.add(TrialConfig.int8(m, m.equals("percentile") ? percentiles.get(0) : 0, padding));
    }
    if (fp16) {
      list.add(TrialConfig.fp16());
    }
    return list;
  }

  /**
   * Returns the pruned variants of {@code base} worth one trial each once a good base is known:
   * every non-zero channel level, then 2:4 where the target exploits it.
   */
  List<TrialConfig> pruned(TrialConfig base) {
    List<TrialConfig> list = new ArrayList<>();
    for (double level : pruneLevels) {
      if (level > 0) {
        list.add(base.withPruneChannels(level).withTwoFour(false));
      }
    }
    if (twoFour) {
      list.add(base.withPruneChannels(0).withTwoFour(true));
    }
    return list;
  }

  /** Returns whether {@code c} lies in this space. */
  boolean contains(TrialConfig c) {
    if (!pruneLevels.contains(c.pruneChannels())
        || (c.twoFour() && !twoFour)
        || (c.fp16Islands() && !fp16Islands)) {
      return false;
    }
    if (!c.int8()) {
      return fp16;
    }
    return methods.contains(c.method())
        && (floatFallback || c.floatLayers().isEmpty())
        && (padding || !c.padChannels())
        && (c.percentile() == 0 || percentiles.contains(c.percentile()));
  }
}
