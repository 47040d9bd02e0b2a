package org.edgeopt.compile.tflite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.TensorType;

/**
 * The state of one lowering: the TFLite model being built and, for each ONNX value already
 * lowered, the TFLite tensor that holds it.
 */
final class LoweringContext {

  /**
   * A lowered activation.
   *
   * @param index the TFLite tensor index
   * @param quant its int8 per-tensor parameters
   * @param layout how its elements are ordered relative to the ONNX value
   * @param onnxShape the ONNX shape (-1 for unknown dimensions)
   */
  record TRef(int index, TfliteModel.Quant quant, Layout layout, long[] onnxShape) {
    int rank() {
      return onnxShape.length;
    }
  }

  /**
   * An activation function that runs fused into its producer.
   *
   * @param code the {@code ActivationFunctionType}
   * @param output the ONNX value after the activation (the producer's output if none is fused)
   * @param node the fused ONNX node, or null
   */
  record Fusion(byte code, String output, Node node) {}

  // The operand roles most unweighted operators share, kept here so the lowering classes that
  // emit them do not each restate the lists.

  /** The roles of an operator whose only input is an activation. */
  static final List<TfliteModel.Role> ACTIVATION_ONLY = List.of(TfliteModel.Role.ACTIVATION);

  /** The roles of an activation followed by a constant shape, axes, paddings or size operand. */
  static final List<TfliteModel.Role> ACTIVATION_AND_PARAMETER =
      List.of(TfliteModel.Role.ACTIVATION, TfliteModel.Role.PARAMETER);

  final Graph graph;
  final QdqView view;
  final CalibrationTable calibration;
  final TfliteModel model = new TfliteModel();
  final Map<String, TRef> values = new HashMap<>();
  final Set<String> fusedNodes = new HashSet<>();
  final List<String> notes = new java.util.ArrayList<>();
  private String origin = "";

  LoweringContext(Graph graph, CalibrationTable calibration) {
    this.graph = graph;
    this.view = new QdqView(graph);
    this.calibration = calibration;
  }

  /** Sets the ONNX node the next operators come from. */
  void origin(String nodeName) {
    this.origin = nodeName;
  }

  /** Returns the ONNX shape of a value, -1 for unknown dimensions. */
  long[] shape(Node n, String value) throws Unmappable {
    Optional<Shape> s = graph.shape(value);
    if (s.isEmpty()) {
      throw new Unmappable(
          n,
          "the shape of '" + value + "' is unknown after ONNX shape inference",
          "give the model static input shapes");
    }
    return s.get().sizes();
  }

  /** Returns the lowered activation read by input {@code i} of {@code n}. */
  TRef act(Node n, int i) throws Unmappable {
    String u = n.input(i);
    TRef r = values.get(view.activationKey(u));
    if (r == null) {
      r = values.get(u);
    }
    if (r == null) {
      if (view.constant(u).isPresent()) {
        throw new Unmappable(
            n,
            "input '" + u + "' is a constant where TFLite needs a computed tensor",
            "fold the constant expression into the weights (edgeopt ingest folds constants)");
      }
      throw new Unmappable(
          n,
          "input '" + u + "' is not quantized (no QuantizeLinear/DequantizeLinear pair)",
          "quantize the model with edgeopt quantize so every activation is int8");
    }
    return r;
  }

  /** Returns whether input {@code i} of {@code n} is a constant. */
  boolean isConstant(Node n, int i) throws Unmappable {
    return !n.input(i).isEmpty() && view.constant(n.input(i)).isPresent();
  }

  /** Returns the constant at input {@code i} of {@code n}. */
  QdqView.Const constant(Node n, int i) throws Unmappable {
    Optional<QdqView.Const> c = view.constant(n.input(i));
    if (c.isEmpty()) {
      throw new Unmappable(
          n,
          "input " + i + " ('" + n.input(i) + "') must be a constant",
          "fold it into an initializer (edgeopt ingest folds constants)");
    }
    return c.get();
  }

  /** Adds a constant tensor. */
  int addConstant(String name, byte type, int[] shape, byte[] data, TfliteModel.Quant quant) {
    return model.addTensor(new TfliteModel.Tensor(name, type, shape, null, data, quant));
  }

  /** Adds an int32 constant vector or matrix (shapes, paddings, axes, sizes). */
  int addInt32(String name, int[] shape, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return addConstant(name, TensorType.INT32, shape, b.array(), null);
  }

  /** Adds an int8 activation tensor. */
  int addActivation(String name, long[] onnxShape, Layout layout, TfliteModel.Quant quant) {
    return model.addTensor(
        new TfliteModel.Tensor(
            name,
            TensorType.INT8,
            layout.tfliteShape(onnxShape),
            layout.tfliteSignature(onnxShape),
            null,
            quant));
  }

  /** Appends an operator that comes from the current ONNX node. */
  void op(
      int opcode,
      int version,
      int[] inputs,
      List<TfliteModel.Role> roles,
      int[] outputs,
      OpOptions options) {
    model.addOperator(
        new TfliteModel.Operator(opcode, version, inputs, roles, outputs, options, origin));
  }

  /** Returns {@code src} requantized to {@code want} by a QUANTIZE operator (int8 to int8). */
  TRef requantize(TRef src, TfliteModel.Quant want, String name) {
    notes.add(
        origin
            + ": requantized "
            + model.tensor(src.index()).name()
            + " from "
            + src.quant()
            + " to "
            + want
            + " (QUANTIZE)");
    int t = addActivation(name, src.onnxShape(), src.layout(), want);
    op(
        BuiltinOperator.QUANTIZE,
        2,
        new int[] {src.index()},
        List.of(TfliteModel.Role.ACTIVATION),
        new int[] {t},
        new OpOptions.Quantize());
    return new TRef(t, want, src.layout(), src.onnxShape());
  }

  /**
   * Returns the activation function that can run fused into {@code producer}: a Relu, or a
   * Clip to [0, 6] or [-1, 1], that is the only reader of the producer's output.
   */
  Fusion fusion(Node producer) throws Unmappable {
    String y = producer.output();
    List<Node> readers = view.consumers(y);
    if (readers.size() == 1 && !graph.isOutput(y)) {
      Node r = readers.get(0);
      byte code = activationCode(r);
      if (code != ActivationFunctionType.NONE && code != -1) {
        return new Fusion(code, r.output(), r);
      }
    }
    return new Fusion(ActivationFunctionType.NONE, y, null);
  }

  /**
   * Returns the TFLite activation a Relu or Clip node computes, NONE for other nodes, or -1 for
   * a Clip with bounds TFLite has no activation for.
   */
  byte activationCode(Node r) throws Unmappable {
    if (r.opType().equals("Relu")) {
      return ActivationFunctionType.RELU;
    }
    if (!r.opType().equals("Clip")) {
      return ActivationFunctionType.NONE;
    }
    float lo = r.floatAttr("min", Float.NEGATIVE_INFINITY);
    float hi = r.floatAttr("max", Float.POSITIVE_INFINITY);
    Optional<float[]> min = view.constantReal(r.input(1));
    Optional<float[]> max = view.constantReal(r.input(2));
    if (min.isPresent()) {
      lo = min.get()[0];
    }
    if (max.isPresent()) {
      hi = max.get()[0];
    }
    if (lo == 0f && hi == 6f) {
      return ActivationFunctionType.RELU6;
    }
    if (lo == -1f && hi == 1f) {
      return ActivationFunctionType.RELU_N1_TO_1;
    }
    if (lo == 0f && hi == Float.POSITIVE_INFINITY) {
      return ActivationFunctionType.RELU;
    }
    return -1;
  }

  /**
   * Creates the output tensor of an operator computing ONNX value {@code y}, lets {@code
   * writeOp} append the operator, and files the result under {@code y} and the QuantizeLinear
   * outputs that read it.
   *
   * <p>The operator's output takes {@code shared} parameters when the kernel requires them equal
   * to its input's (pooling, reshapes, concatenation), else {@code fixed} ones (softmax), else
   * those of the QuantizeLinear after {@code y}. Where the QDQ model asks for other parameters, a
   * QUANTIZE operator requantizes.
   */
  TRef emit(
      Node n,
      String y,
      long[] shape,
      Layout layout,
      TfliteModel.Quant shared,
      TfliteModel.Quant fixed,
      IntConsumer writeOp)
      throws Unmappable {
    List<Node> qs = view.quantizers(y);
    TfliteModel.Quant want = qs.isEmpty() ? null : view.activationQuant(qs.get(0));
    TfliteModel.Quant opOut = shared != null ? shared : fixed != null ? fixed : want;
    if (opOut == null) {
      opOut = calibrated(n, y);
    }
    if (want == null) {
      want = opOut;
    }
    int t = addActivation(y, shape, layout, opOut);
    writeOp.accept(t);
    TRef made = new TRef(t, opOut, layout, shape);
    TRef result = opOut.sameAs(want) ? made : requantize(made, want, y + "/requantized");
    values.put(y, result);
    for (Node q : qs) {
      TfliteModel.Quant w = view.activationQuant(q);
      values.put(q.output(), w.sameAs(result.quant()) ? result : requantize(made, w, q.output()));
    }
    return result;
  }

  /**
   * Returns int8 parameters for a value the QDQ model leaves float (ONNX Runtime's quantizer keeps
   * the last Gemm's output float), from the calibration table's range for it.
   */
  private TfliteModel.Quant calibrated(Node n, String y) throws Unmappable {
    TensorRange r = calibration == null ? null : calibration.range(y);
    if (r == null) {
      throw new Unmappable(
          n,
          "its output '"
              + y
              + "' is not quantized (no QuantizeLinear follows it)"
              + (calibration == null ? "" : " and the calibration table has no range for it"),
          "pass the calibration table (option calibration=calibration.json), or quantize every activation"
              + " (edgeopt quantize for the edgetpu profile)");
    }
    QuantParams p = QuantParams.asymmetric(r.min(), r.max(), DataType.INT8);
    notes.add(
        n.name()
            + ": output '"
            + y
            + "' is float in the QDQ model; quantized with the calibration range ["
            + r.min()
            + ", "
            + r.max()
            + "] to "
            + TfliteModel.Quant.of(p.scale(), p.zeroPoint()));
    return TfliteModel.Quant.of(p.scale(), p.zeroPoint());
  }

  /** Files an existing tensor under another ONNX value (Identity, Dropout) and its QuantizeLinear readers. */
  void alias(String value, TRef ref) throws Unmappable {
    values.put(value, ref);
    for (Node q : view.quantizers(value)) {
      TfliteModel.Quant w = view.activationQuant(q);
      values.put(q.output(), w.sameAs(ref.quant()) ? ref : requantize(ref, w, q.output()));
    }
  }
}
