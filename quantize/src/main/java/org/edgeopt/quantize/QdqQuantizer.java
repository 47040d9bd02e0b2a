package org.edgeopt.quantize;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.CalibrationTable;

/**
 * Static INT8 quantization in QDQ form: every quantized tensor gets a {@code QuantizeLinear}
 * and one {@code DequantizeLinear} per consumer, weights become int8 initializers (symmetric,
 * one scale per output channel, zero point 0) behind a {@code DequantizeLinear}, and biases
 * int32 initializers with scale {@code input scale x weight scale}.
 *
 * <p>The placement ({@link QdqPlanner}) follows the patterns ONNX Runtime fuses into
 * QLinearConv, QLinearMatMul, QGemm, QLinearAdd, QLinearConcat and QLinearGlobalAveragePool.
 * The graph is first brought to opset 13 or later and simplified by {@link GraphPreparer}.
 */
public final class QdqQuantizer {
  private QdqQuantizer() {}

  /**
   * One layer of the quantized graph, as decided.
   *
   * @param node the node name
   * @param opType the operator
   * @param output the tensor the layer writes (after a folded activation, that activation's output)
   * @param inputs the activation tensors the layer reads
   * @param quantized whether the layer runs quantized
   * @param reason why it stays float; empty when quantized
   * @param scale the scale of its quantized output, or null
   * @param zeroPoint the zero point of its quantized output, or null
   * @param weightScaleMin the smallest per-channel weight scale, or null
   * @param weightScaleMax the largest per-channel weight scale, or null
   * @param foldedActivation the ReLU/Clip node folded into its output range, or null
   * @param foldedActivationOp that node's operator ({@code Relu} or {@code Clip}), or null
   */
  public record Layer(
      String node,
      String opType,
      String output,
      List<String> inputs,
      boolean quantized,
      String reason,
      Float scale,
      Long zeroPoint,
      Float weightScaleMin,
      Float weightScaleMax,
      String foldedActivation,
      String foldedActivationOp) {
    public Layer {
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * The result of quantizing a graph.
   *
   * @param graph the QDQ graph
   * @param reference the prepared FP32 graph it was made from (same tensor names)
   * @param layers every layer, in graph order
   * @param observed for each quantized tensor of the reference, the tensor of {@code graph} that
   *     holds its dequantized value (tensors not listed keep their name)
   * @param changes what preparation rewrote
   */
  public record Result(
      Graph graph,
      Graph reference,
      List<Layer> layers,
      Map<String, String> observed,
      List<String> changes) {
    public Result {
      layers = List.copyOf(layers);
      observed = Map.copyOf(observed);
      changes = List.copyOf(changes);
    }

    /** Returns the name under which {@code graph} holds the (dequantized) value of a reference tensor. */
    public String observedName(String referenceTensor) {
      return observed.getOrDefault(referenceTensor, referenceTensor);
    }
  }

  /**
   * Quantizes an FP32 graph with the ranges of {@code table}, keeping {@code config.exclude()} in float.
   *
   * @param where names the model in errors
   * @param tableWhere names the calibration table in errors
   */
  public static Result quantize(
      Graph fp32, CalibrationTable table, QuantizeConfig config, String where, String tableWhere)
      throws EdgeoptException {
    GraphPreparer.Prepared p = GraphPreparer.prepare(fp32, where);
    Map<String, String> floatNodes = new LinkedHashMap<>();
    config.exclude().forEach(n -> floatNodes.put(n, "excluded (--exclude)"));
    return quantizePrepared(p, table, config, floatNodes, where, tableWhere);
  }

  /**
   * Quantizes an already prepared graph, keeping {@code floatNodes} in float with the given reasons.
   */
  public static Result quantizePrepared(
      GraphPreparer.Prepared prepared,
      CalibrationTable table,
      QuantizeConfig config,
      Map<String, String> floatNodes,
      String where,
      String tableWhere)
      throws EdgeoptException {
    Graph g = prepared.graph();
    for (String n : floatNodes.keySet()) {
      if (g.node(n).isEmpty()) {
        throw EdgeoptException.invalid(
            where
                + ": cannot keep node '"
                + n
                + "' in float: the model has no node of"
                + " that name"
                + suggestion(g, n));
      }
    }
    QdqPlanner planner = new QdqPlanner(g, table, config, floatNodes, tableWhere);
    QdqPlanner.Plan plan = planner.plan();
    return new QdqRewriter(g, plan, config, where, prepared.biasShifts())
        .rewrite(planner, prepared.changes());
  }

  private static String suggestion(Graph g, String wanted) {
    List<String> names =
        g.nodes().stream()
            .map(Node::name)
            .filter(
                n ->
                    n.toLowerCase(java.util.Locale.ROOT)
                            .contains(wanted.toLowerCase(java.util.Locale.ROOT))
                        || wanted
                            .toLowerCase(java.util.Locale.ROOT)
                            .contains(n.toLowerCase(java.util.Locale.ROOT)))
            .limit(3)
            .toList();
    return names.isEmpty()
        ? " (see the layer table for node names)"
        : " (did you mean " + String.join(", ", names) + "?)";
  }

  /**
   * Returns whether a Conv is depthwise as ONNX Runtime's kernels see it: one input and one
   * output channel per group. Those kernels widen to int16 before multiplying, so no pair sum
   * saturates and the profile may give them the full weight range.
   */
  static boolean isDepthwise(Node conv, Tensor w) {
    long group = conv.intAttr("group", 1);
    long[] d = w.dims();
    return group > 1 && d.length >= 2 && d[1] == 1 && d[0] == group;
  }

  /** Returns the axis a layer's weights get one scale per index of, or -1 for one scale per tensor. */
  static int weightAxis(Node n, QdqPlanner.Kind k, QuantizeConfig cfg) {
    return cfg.perTensorWeightOps().contains(n.opType())
        ? -1
        : switch (k) {
          case CONV -> 0;
          case GEMM -> n.intAttr("transB", 0) != 0 ? 0 : 1;
          default -> 1;
        };
  }

  /**
   * Quantizes the weights {@code w} of a Conv, Gemm or MatMul exactly as the quantized graph
   * will hold them, so that passes measuring the weight error (bias correction) see the same integers.
   */
  static WeightQuantizer.QuantizedWeights quantizeLayerWeights(
      Node n, Tensor w, QuantizeConfig cfg, String where) throws EdgeoptException {
    QdqPlanner.Kind k = QdqPlanner.Kind.of(n);
    int axis = weightAxis(n, k, cfg);
    int weightMax = cfg.weightQuantMax(k == QdqPlanner.Kind.CONV && isDepthwise(n, w));
    String what = where + ": initializer '" + w.name() + "' of " + n.describe();
    return axis < 0
        ? WeightQuantizer.perTensor(w.toFloats(), weightMax, what)
        : WeightQuantizer.perChannel(w.toFloats(), w.dims(), axis, weightMax, what);
  }

  /** Returns the value type used when a tensor is exposed as an extra graph output. */
  static Value floatOutput(String name) {
    return new Value(name, new TensorType(DataType.FLOAT, null));
  }
}
