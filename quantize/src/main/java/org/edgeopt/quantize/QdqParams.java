package org.edgeopt.quantize;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;

/**
 * The quantization parameters of the tensors a {@link QdqPlanner} plan quantizes: each from its
 * calibrated range (a folded ReLU/Clip's from the layer's output range, clamped), tensors that
 * must share parameters sharing one (data movement and, in a fully int8 model, average pooling
 * keep their input's; Concat inputs take the output's), a fully int8 Softmax output the fixed
 * parameters TFLite requires, and a global average pool's output scale adjusted so its input
 * zero point folds exactly.
 */
final class QdqParams {
  private final Graph g;
  private final CalibrationTable table;
  private final QuantizeConfig cfg;
  private final String where;
  private final Map<String, Node> producers;
  private final boolean fullyInt8;

  /** @param where names the calibration table in errors */
  QdqParams(Graph g, CalibrationTable table, QuantizeConfig cfg, String where) {
    this.g = g;
    this.table = table;
    this.cfg = cfg;
    this.where = where;
    this.producers = g.producers();
    this.fullyInt8 = cfg.placement() == QdqPlacement.FULLY_INT8;
  }

  /** Computes the parameters of every quantized tensor; tensors that must share a scale share one. */
  Map<String, QuantParams> of(
      List<Node> nodes, Set<String> quantized, Set<String> tensors, Map<String, Node> folded)
      throws EdgeoptException {
    Map<String, String> parent = new HashMap<>();
    Set<String> derived = new HashSet<>();
    Set<String> softmaxOutputs = new HashSet<>();
    Map<String, Node> needer = new HashMap<>();
    for (Node n : nodes) {
      for (String in : n.inputs()) {
        if (tensors.contains(in)) {
          needer.putIfAbsent(in, n);
        }
      }
      if (!quantized.contains(n.name())) {
        continue;
      }
      QdqPlanner.Kind k = QdqPlanner.Kind.of(n, cfg.placement());
      if (k == QdqPlanner.Kind.PASS || fullyInt8 && n.opType().equals("AveragePool")) {
        // TFLite's int8 pooling and data-movement kernels take equal input and output parameters.
        union(parent, n.input(0), n.output());
        derived.add(n.output());
      } else if (k == QdqPlanner.Kind.SOFTMAX && tensors.contains(n.output())) {
        softmaxOutputs.add(n.output());
        derived.add(n.output());
      } else if (k == QdqPlanner.Kind.CONCAT && tensors.contains(n.output())) {
        for (String in : n.inputs()) {
          union(parent, in, n.output());
        }
        derived.add(n.output());
      }
    }
    Map<String, float[]> groupRange = new LinkedHashMap<>();
    Map<String, Node> foldedByOutput = new HashMap<>();
    folded.values().forEach(a -> foldedByOutput.put(a.output(), a));
    for (String t : tensors) {
      if (derived.contains(t)) {
        continue;
      }
      float[] r = range(t, foldedByOutput.get(t), needer.get(t));
      groupRange.merge(
          find(parent, t), r, (a, b) -> new float[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    }
    Map<String, QuantParams> byGroup = new HashMap<>();
    for (Map.Entry<String, float[]> e : groupRange.entrySet()) {
      float[] r = e.getValue();
      byGroup.put(
          e.getKey(),
          cfg.symmetricActivations()
              ? QuantParams.symmetric(
                  Math.max(Math.abs(r[0]), Math.abs(r[1])), cfg.activationType())
              : QuantParams.asymmetric(r[0], r[1], cfg.activationType()));
    }
    for (String t : softmaxOutputs) {
      byGroup.put(find(parent, t), softmaxOutput(cfg));
    }
    for (Node n : nodes) {
      if (n.opType().equals("GlobalAveragePool")
          && quantized.contains(n.name())
          && tensors.contains(n.output())) {
        String in = find(parent, n.input(0));
        String out = find(parent, n.output());
        if (byGroup.containsKey(in) && byGroup.containsKey(out)) {
          byGroup.put(out, meanOutput(byGroup.get(in), byGroup.get(out)));
        }
      }
    }
    Map<String, QuantParams> params = new LinkedHashMap<>();
    for (String t : tensors) {
      QuantParams p = byGroup.get(find(parent, t));
      if (p == null) {
        throw new IllegalStateException(
            "tensor '" + t + "' shares a scale with no calibrated tensor");
      }
      params.put(t, p);
    }
    return params;
  }

  /**
   * Returns the parameters of a Softmax output in a fully int8 model: scale 1/256 from the type's
   * lowest value (zero point -128 for int8), which covers [0, 1) and is the only output
   * quantization TFLite's int8 SOFTMAX takes; symmetric activations get scale 1/128, zero point 0.
   */
  static QuantParams softmaxOutput(QuantizeConfig cfg) {
    DataType t = cfg.activationType();
    return cfg.symmetricActivations()
        ? new QuantParams(new float[] {1f / 128f}, new long[] {0}, -1, t)
        : new QuantParams(new float[] {1f / 256f}, new long[] {QuantParams.qmin(t)}, -1, t);
  }

  /**
   * Returns the output parameters of a global average pool, adjusted so that its input zero
   * point is a whole number of output steps ({@code zpIn * sIn / sOut} an integer).
   *
   * <p>Integer kernels of the mean (TFLite's MEAN, which the Edge TPU compiler takes) fold the
   * input zero point into the output as {@code round(zpIn * sIn / sOut)}; when that product is
   * not whole, every output moves up to half a step the same way, a bias the next layer sums
   * over all channels (on the Fashion-MNIST sample it flipped the top-1 class of 0.5% of images
   * against the QDQ model). The scale only grows, so nothing clips; when growing it by at most
   * 2% cannot make the product whole, the output shares the input's parameters, which always
   * cover the mean of its values.
   */
  static QuantParams meanOutput(QuantParams in, QuantParams out) {
    long zpIn = in.zeroPoint();
    double ratio = (double) in.scale() / out.scale();
    if (zpIn == 0 || Math.abs(zpIn * ratio - Math.rint(zpIn * ratio)) < 1e-4) {
      return out;
    }
    long whole = (long) Math.floor(Math.abs(zpIn) * ratio + 1e-9);
    if (whole < 1 || Math.abs(zpIn) * ratio / whole > 1.02) {
      return in;
    }
    float scale = (float) (in.scale() * (double) Math.abs(zpIn) / whole);
    double lo = out.dequantize(QuantParams.qmin(out.type()), 0);
    long zp = Math.round(QuantParams.qmin(out.type()) - lo / scale);
    zp = Math.max(QuantParams.qmin(out.type()), Math.min(QuantParams.qmax(out.type()), zp));
    return new QuantParams(new float[] {scale}, new long[] {zp}, -1, out.type());
  }

  /** Returns the calibrated [min, max] of a tensor; a folded activation's range may come from its input. */
  private float[] range(String t, Node foldedActivation, Node needer) throws EdgeoptException {
    TensorRange r = table.range(t);
    String name = t;
    if (r == null && foldedActivation != null && table.range(foldedActivation.input(0)) != null) {
      // The table knows the layer's output before the ReLU: the ReLU's range is that range clamped.
      name = foldedActivation.input(0);
      TensorRange pre = table.range(name);
      double hi = clipMax(g, foldedActivation);
      r =
          new TensorRange(
              Math.max(pre.min(), 0f),
              (float) Math.min(pre.max(), hi),
              pre.observedMin(),
              pre.observedMax(),
              pre.method(),
              pre.samples(),
              pre.histogramBins());
    }
    if (r == null) {
      Node p = producers.get(t);
      String role = p == null ? "graph input" : "output of " + p.describe();
      throw EdgeoptException.invalid(
          where
              + ": no range for tensor '"
              + t
              + "' ("
              + role
              + (needer == null ? "" : ", read by " + needer.describe())
              + "); expected a table calibrated on this model");
    }
    if (!Float.isFinite(r.min()) || !Float.isFinite(r.max()) || r.min() > r.max()) {
      throw EdgeoptException.invalid(
          where
              + ": tensor '"
              + name
              + "' has range ["
              + r.min()
              + ", "
              + r.max()
              + "]: expected finite numbers with min <= max");
    }
    return new float[] {r.min(), r.max()};
  }

  private static String find(Map<String, String> parent, String x) {
    String r = x;
    while (parent.containsKey(r)) {
      r = parent.get(r);
    }
    return r;
  }

  private static void union(Map<String, String> parent, String a, String b) {
    String ra = find(parent, a);
    String rb = find(parent, b);
    if (!ra.equals(rb)) {
      parent.put(rb, ra);
    }
  }

  /**
   * Returns the upper clamp of a ReLU (+infinity) or of a Clip whose lower bound is exactly 0,
   * or NaN when the node is not such a clamp.
   */
  static double clipMax(Graph g, Node a) {
    if (a.opType().equals("Relu")) {
      return Double.POSITIVE_INFINITY;
    }
    Tensor lo = a.input(1).isEmpty() ? null : g.initializers().get(a.input(1));
    // Boxed on both branches: a float/Float conditional would unbox a missing attribute's null.
    Float min =
        lo != null && lo.elementCount() == 1
            ? Float.valueOf(lo.toFloats()[0])
            : a.attribute("min").map(at -> at.asFloat()).orElse(null);
    if (min == null || min != 0f) {
      return Double.NaN;
    }
    if (!a.input(2).isEmpty()) {
      Tensor hi = g.initializers().get(a.input(2));
      return hi != null && hi.elementCount() == 1 ? hi.toFloats()[0] : Double.NaN;
    }
    return a.attribute("max").map(at -> (double) at.asFloat()).orElse(Double.POSITIVE_INFINITY);
  }
}
