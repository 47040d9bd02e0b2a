package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Learned rounding of convolution weights (AdaRound, Nagel et al., ICML 2020): each weight is
 * rounded down or up, whichever set of choices makes the layer's output on the calibration data
 * closest to the FP32 output, instead of to the nearest grid point independently.
 *
 * <p>The objective is the layer's summed squared output error on the FP32 inputs of sampled
 * output positions ({@link PatchGram}): for output channel {@code m} with weights {@code w},
 * scale {@code s} and integers {@code q}, {@code e^T H e} with {@code e = s q - w}. Channels are
 * independent (each has its own row of weights), so each is solved alone. Instead of AdaRound's
 * relaxed continuous variables and annealed regularizer, the binary choice is searched directly
 * by coordinate descent from nearest rounding: a flip of weight {@code k} by {@code d = +-s}
 * changes the error by {@code 2 d (He)_k + d^2 H_kk}, which costs one lookup to evaluate and
 * {@code K} operations to apply; a fixed budget of sweeps over the weights bounds the time, and
 * the error never increases. Weights at the ends of the range keep their nearest value, so the
 * scale the quantizer derives from the largest weight stays the same.
 *
 * <p>The result is the float graph with each rounded layer's weights replaced by their
 * dequantized values {@code s q}, which the quantizer then maps back to exactly {@code q}
 * (checked). Only 2-D Conv layers with an initializer weight of their own are rounded; others
 * keep nearest rounding and are listed as skipped.
 */
final class AdaRound {
  /** Output positions sampled per calibration sample and layer. */
  static final int POSITIONS = 64;

  /** Coordinate-descent sweeps per output channel at most. */
  static final int SWEEPS = 8;

  /** The seed of the position sampling unless another is given. */
  static final long DEFAULT_SEED = 15;

  private AdaRound() {}

  /**
   * What rounding did to one layer.
   *
   * @param node the Conv
   * @param weights its weight count
   * @param flipped how many weights are rounded the other way than to the nearest
   * @param errorBefore the output error {@code sum e^T H e / sum w^T H w} with nearest rounding
   * @param errorAfter the same with the learned rounding
   * @param seconds the time the search took (the Gram matrices' time not included)
   */
  record Layer(
      String node,
      int weights,
      int flipped,
      double errorBefore,
      double errorAfter,
      double seconds) {}

  /**
   * The rounded graph and what changed.
   *
   * @param graph the float graph with the rounded layers' weights on their int8 grid
   * @param layers one entry per rounded layer, in graph order
   * @param skipped one line per Conv not rounded, with the reason
   * @param samples the calibration samples measured
   * @param gramSeconds the time the one pass over the data (ONNX Runtime and Gram matrices) took
   */
  record Result(
      Graph graph, List<Layer> layers, List<String> skipped, int samples, double gramSeconds) {
    /** Returns one line per rounded or skipped layer, for the report. */
    List<String> changes() {
      List<String> out = new ArrayList<>();
      out.add(
          String.format(
              Locale.ROOT,
              "adaround: %d layers rounded, %d skipped; data pass %.2f s on %d samples",
              layers.size(),
              skipped.size(),
              gramSeconds,
              samples));
      for (Layer l : layers) {
        out.add(
            String.format(
                Locale.ROOT,
                "adaround %s: %d of %d weights rounded the other way, output error %.3g -> %.3g (%.1f%%), %.3f s",
                l.node(),
                l.flipped(),
                l.weights(),
                l.errorBefore(),
                l.errorAfter(),
                l.errorBefore() == 0 ? 0 : 100 * (l.errorAfter() / l.errorBefore() - 1),
                l.seconds()));
      }
      skipped.forEach(s -> out.add("adaround skipped " + s));
      return out;
    }
  }

  /**
   * Rounds the weights of every eligible Conv of {@code g} as {@code config} quantizes them,
   * measured on the first {@code samples} samples of {@code data}.
   *
   * @param where names the model in errors
   */
  static Result apply(
      Graph g, QuantizeConfig config, Dataset data, int samples, long seed, String where)
      throws EdgeoptException {
    if (g.inputs().size() != 1) {
      throw EdgeoptException.invalid(
          where + ": learned rounding needs a model with one input, found " + g.inputs().size());
    }
    String input = g.inputs().get(0).name();
    Map<String, Integer> weightUses = new LinkedHashMap<>();
    g.nodes().forEach(n -> n.inputs().forEach(i -> weightUses.merge(i, 1, Integer::sum)));
    Map<Node, PatchGram> grams = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    int index = 0;
    for (Node n : g.nodes()) {
      if (!n.opType().equals("Conv")) {
        continue;
      }
      String reason = ineligible(g, n, config, weightUses);
      if (reason != null) {
        skipped.add(n.name() + ": " + reason);
        continue;
      }
      Tensor w = g.initializer(n.input(1)).orElseThrow();
      grams.put(n, new PatchGram(n, w.dims(), POSITIONS, seed * 1_000_003L + index++));
    }
    long t0 = System.nanoTime();
    int seen = accumulate(g, input, grams, data, samples);
    double gramSeconds = (System.nanoTime() - t0) / 1e9;
    GraphBuilder b = g.toBuilder();
    List<Layer> layers = new ArrayList<>();
    for (Map.Entry<Node, PatchGram> e : grams.entrySet()) {
      Node n = e.getKey();
      Tensor w = g.initializer(n.input(1)).orElseThrow();
      long l0 = System.nanoTime();
      Rounded r = roundLayer(n, w, e.getValue(), config, where);
      layers.add(
          new Layer(
              n.name(),
              r.values().length,
              r.flipped(),
              r.errorBefore(),
              r.errorAfter(),
              (System.nanoTime() - l0) / 1e9));
      b.removeInitializer(w.name()).addInitializer(Tensor.ofFloats(w.name(), w.dims(), r.values()));
    }
    return new Result(b.build(), layers, skipped, seen, gramSeconds);
  }

  /** Returns why a Conv is not rounded, or null when it is. */
  private static String ineligible(
      Graph g, Node n, QuantizeConfig config, Map<String, Integer> weightUses) {
    if (config.exclude().contains(n.name())) {
      return "excluded (--exclude)";
    }
    Tensor w = n.inputs().size() < 2 ? null : g.initializer(n.input(1)).orElse(null);
    if (w == null || !w.dataType().equals(org.edgeopt.core.graph.DataType.FLOAT)) {
      return "weights are not a float32 initializer";
    }
    if (w.rank() != 4) {
      return "not a 2-D convolution (weight rank " + w.rank() + ")";
    }
    if (weightUses.getOrDefault(w.name(), 0) > 1) {
      return "weight '" + w.name() + "' is shared with another node";
    }
    String autoPad = n.stringAttr("auto_pad", "NOTSET");
    if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
      return "auto_pad " + autoPad + " (explicit pads only)";
    }
    return null;
  }

  /** Runs the FP32 graph over the samples with every rounded layer's input exposed; returns the samples seen. */
  private static int accumulate(
      Graph g, String input, Map<Node, PatchGram> grams, Dataset data, int samples)
      throws EdgeoptException {
    if (grams.isEmpty()) {
      return 0;
    }
    LinkedHashSet<String> exposedNames = new LinkedHashSet<>();
    grams
        .keySet()
        .forEach(
            n -> {
              if (!n.input(0).equals(input)) {
                exposedNames.add(n.input(0));
              }
            });
    Graph exposed = SqnrProbe.expose(g, exposedNames);
    List<String> names = List.copyOf(exposedNames);
    int seen = 0;
    SessionOptions opts =
        SessionOptions.defaults().withOptimization(SessionOptions.Optimization.EXTENDED);
    try (InferenceSession s = OrtRuntime.get().open(exposed, opts)) {
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(s, 16), samples);
      while (it.hasNext()) {
        Batch batch = it.next();
        Tensor in = batch.input().withName(input);
        Map<String, Tensor> out = names.isEmpty() ? Map.of() : s.run(Map.of(input, in), names);
        seen += batch.size();
        for (Map.Entry<Node, PatchGram> e : grams.entrySet()) {
          Tensor x = e.getKey().input(0).equals(input) ? in : out.get(e.getKey().input(0));
          e.getValue().add(x.toFloats(), x.dims());
        }
      }
    }
    grams.values().forEach(PatchGram::complete);
    return seen;
  }

  /**
   * A layer's rounded weights.
   *
   * @param values the float weights on the int8 grid
   * @param flipped how many differ from nearest rounding
   */
  private record Rounded(float[] values, int flipped, double errorBefore, double errorAfter) {}

  private static Rounded roundLayer(
      Node n, Tensor w, PatchGram gram, QuantizeConfig config, String where)
      throws EdgeoptException {
    WeightQuantizer.QuantizedWeights nearest =
        QdqQuantizer.quantizeLayerWeights(n, w, config, where);
    QuantParams p = nearest.params();
    int qmax = config.weightQuantMax(QdqQuantizer.isDepthwise(n, w));
    float[] f = w.toFloats();
    byte[] q0 = nearest.values();
    float[] scales = p.scales();
    int k = gram.patchSize();
    int outChannels = Math.toIntExact(w.dim(0));
    int perGroup = outChannels / gramGroups(n);
    float[] result = f.clone();
    int flipped = 0;
    double before = 0;
    double after = 0;
    double signal = 0;
    double[] wc = new double[k];
    int[] q = new int[k];
    for (int m = 0; m < outChannels; m++) {
      double s = scales[p.axis() < 0 ? 0 : m];
      double[] h = gram.gram(m / perGroup);
      for (int i = 0; i < k; i++) {
        wc[i] = f[m * k + i];
        q[i] = q0[m * k + i];
      }
      ChannelRounding c = ChannelRounding.search(wc, s, qmax, q, h, SWEEPS);
      before += c.errorBefore();
      after += c.errorAfter();
      signal += quadratic(wc, h);
      for (int i = 0; i < k; i++) {
        if (c.q()[i] != q0[m * k + i]) {
          flipped++;
          result[m * k + i] = (float) (c.q()[i] * s);
        }
      }
    }
    Tensor rounded = Tensor.ofFloats(w.name(), w.dims(), result);
    checkReproduced(n, rounded, config, where, result, scales, p.axis() < 0, k);
    double norm = signal == 0 ? 1 : signal;
    return new Rounded(result, flipped, before / norm, after / norm);
  }

  private static int gramGroups(Node n) {
    return (int) n.intAttr("group", 1);
  }

  /** Makes sure the quantizer maps the rounded weights to the searched integers (same scales). */
  private static void checkReproduced(
      Node n,
      Tensor rounded,
      QuantizeConfig config,
      String where,
      float[] values,
      float[] scales,
      boolean perTensor,
      int k)
      throws EdgeoptException {
    WeightQuantizer.QuantizedWeights again =
        QdqQuantizer.quantizeLayerWeights(n, rounded, config, where);
    float[] s2 = again.params().scales();
    byte[] v = again.values();
    for (int i = 0; i < values.length; i++) {
      double s = scales[perTensor ? 0 : i / k];
      long want = (long) Math.rint(values[i] / s);
      if (v[i] != want || Math.abs(s2[perTensor ? 0 : i / k] - s) > 1e-6 * s) {
        throw new IllegalStateException(
            where
                + ": learned rounding of "
                + n.describe()
                + " is not reproduced by"
                + " the quantizer at weight "
                + i
                + " ("
                + v[i]
                + " vs "
                + want
                + ")");
      }
    }
  }

  static double quadratic(double[] x, double[] h) {
    int k = x.length;
    double sum = 0;
    for (int i = 0; i < k; i++) {
      if (x[i] == 0) {
        continue;
      }
      double row = 0;
      for (int j = 0; j < k; j++) {
        row += h[i * k + j] * x[j];
      }
      sum += x[i] * row;
    }
    return sum;
  }
}
