package org.edgeopt.compile.tflite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.CalibrationTable;
import org.tensorflow.lite.schema.BuiltinOperator;

/**
 * Lowers a quantized QDQ ONNX graph to an int8 TFLite model in NHWC layout, without TRANSPOSE
 * operators: the input is the quantizer's output (opset 13, int8 per-channel weights and int32
 * biases behind DequantizeLinear, activations behind QuantizeLinear/DequantizeLinear pairs).
 *
 * <p>A dynamic batch dimension is pinned to 1 (the Edge TPU runs batch 1); other dynamic
 * dimensions stay dynamic in the shape signature, where the compatibility checker finds them.
 * The lowering stops at the first node it cannot map and reports it, with the part lowered so far.
 */
public final class OnnxToTflite {
  /** The metadata entry with edgeopt's provenance (JSON). */
  public static final String PROVENANCE_METADATA = "edgeopt.provenance";

  /** The metadata entry describing the ONNX-side inputs and outputs (JSON), read by {@link TfliteRuntime}. */
  public static final String IO_METADATA = "edgeopt.io";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private OnnxToTflite() {}

  /**
   * The first ONNX node that could not be lowered.
   *
   * @param node the node name
   * @param opType its operator
   * @param reason why it does not map, in one line
   * @param hint what to do about it
   * @param remaining the compute nodes after it, in order (they were not lowered)
   * @param remainingOps the operator of each of those nodes
   */
  public record Unmapped(
      String node,
      String opType,
      String reason,
      String hint,
      List<String> remaining,
      List<String> remainingOps) {
    public Unmapped {
      remaining = List.copyOf(remaining);
      remainingOps = List.copyOf(remainingOps);
    }

    /** Returns the one-line message for the user. */
    public String message() {
      return opType + " '" + node + "': " + reason + (hint.isEmpty() ? "" : "; " + hint);
    }
  }

  /**
   * What the lowering produced.
   *
   * @param model the TFLite model (only the part before {@code unmapped} when that is set)
   * @param unmapped the first node that could not be lowered, or null when all were
   * @param onnxNodes the number of ONNX compute nodes (QuantizeLinear/DequantizeLinear not counted)
   * @param notes what the lowering did that the user may want to know, one line each
   */
  public record Result(TfliteModel model, Unmapped unmapped, int onnxNodes, List<String> notes) {
    public Result {
      notes = List.copyOf(notes);
    }

    /** Returns whether every node was lowered. */
    public boolean complete() {
      return unmapped == null;
    }
  }

  /**
   * Lowers {@code qdq}; {@code provenance} goes into the model's metadata as JSON.
   *
   * @param where names the model in error messages
   * @throws EdgeoptException (exit 3) when the graph cannot be prepared (shape inference fails)
   */
  public static Result lower(Graph qdq, IoType ioType, Map<String, String> provenance, String where)
      throws EdgeoptException {
    return lower(qdq, null, ioType, provenance, where);
  }

  /**
   * Lowers {@code qdq}, taking the int8 parameters of values the QDQ model leaves float (ONNX
   * Runtime's quantizer leaves the last Gemm/MatMul output float) from {@code calibration}.
   *
   * @param calibration the calibration table the model was quantized with, or null
   * @param where names the model in error messages
   * @throws EdgeoptException (exit 3) when the graph cannot be prepared (shape inference fails)
   */
  public static Result lower(
      Graph qdq,
      CalibrationTable calibration,
      IoType ioType,
      Map<String, String> provenance,
      String where)
      throws EdgeoptException {
    List<String> notes = new ArrayList<>();
    // Constant nodes (Clip bounds from PyTorch exports) become constant buffers like initializers.
    Graph g =
        OnnxChecker.inferShapes(
            pinBatch(nameNodes(org.edgeopt.core.graph.ConstantNodes.lift(qdq)), notes), where);
    LoweringContext cx = new LoweringContext(g, calibration);
    List<Node> compute = g.nodes().stream().filter(n -> !QdqView.isQdq(n)).toList();
    Unmapped unmapped = null;
    try {
      inputs(cx, ioType);
      for (Node n : g.nodes()) {
        cx.origin(n.name());
        lowerNode(cx, n);
      }
      outputs(cx, ioType);
    } catch (Unmappable u) {
      int at = compute.indexOf(u.node());
      List<Node> rest = at < 0 ? List.of() : compute.subList(at + 1, compute.size());
      unmapped =
          new Unmapped(
              u.node().name(),
              u.node().opType(),
              u.reason(),
              u.hint(),
              rest.stream().map(Node::name).toList(),
              rest.stream().map(Node::opType).toList());
    }
    notes.addAll(cx.notes);
    TfliteModel m = cx.model;
    m.description(
        Version.PRODUCER
            + " "
            + Version.get()
            + ": int8 TFLite lowered from ONNX for the Edge TPU");
    m.subgraphName(g.name());
    Map<String, String> prov = new LinkedHashMap<>();
    prov.put("producer", Version.PRODUCER);
    prov.put("version", Version.get());
    prov.put("ioType", ioType.id());
    prov.putAll(provenance);
    m.putMetadata(PROVENANCE_METADATA, json(prov));
    m.putMetadata(IO_METADATA, json(ioDescription(cx, g)));
    return new Result(m, unmapped, compute.size(), notes);
  }

  /**
   * Returns the graph with every unnamed node named after its operator and first output (which
   * is unique), so findings can name each node; named graphs come back unchanged.
   */
  static Graph nameNodes(Graph g) {
    if (g.nodes().stream().noneMatch(n -> n.name().isEmpty())) {
      return g;
    }
    GraphBuilder b = g.toBuilder();
    for (Node n : g.nodes()) {
      if (!n.name().isEmpty()) {
        b.removeNode(n.name());
      }
    }
    b.removeNode("");
    for (Node n : g.nodes()) {
      String name =
          n.name().isEmpty() ? b.uniqueName(n.opType() + ":" + n.outputs().get(0)) : n.name();
      b.addNode(new Node(name, n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes()));
    }
    return b.build();
  }

  private static Graph pinBatch(Graph g, List<String> notes) {
    List<Value> inputs = new ArrayList<>();
    boolean changed = false;
    for (Value v : g.inputs()) {
      Shape s = v.hasType() ? v.type().shape() : null;
      if (s != null && s.rank() >= 2 && !s.dims().get(0).isKnown()) {
        inputs.add(new Value(v.name(), new TensorType(v.type().dataType(), s.withSize(0, 1))));
        notes.add(
            "input '"
                + v.name()
                + "': dynamic batch dimension pinned to 1 (the Edge TPU runs batch 1)");
        changed = true;
      } else {
        inputs.add(v);
      }
    }
    if (!changed) {
      return g;
    }
    GraphBuilder b = g.toBuilder().setInputs(inputs).clearValueInfo();
    List<Value> outputs = new ArrayList<>();
    for (Value v : g.outputs()) {
      Shape s = v.hasType() ? v.type().shape() : null;
      boolean dynamicBatch = s != null && s.rank() >= 1 && !s.dims().get(0).isKnown();
      outputs.add(
          dynamicBatch
              ? new Value(v.name(), new TensorType(v.type().dataType(), s.withSize(0, 1)))
              : v);
    }
    return b.setOutputs(outputs).build();
  }

  private static void inputs(LoweringContext cx, IoType io) throws Unmappable {
    for (Value v : cx.graph.inputs()) {
      List<Node> readers = cx.view.consumers(v.name());
      if (readers.isEmpty()) {
        continue;
      }
      Node first = readers.get(0);
      cx.origin("model input " + v.name());
      long[] shape = cx.shape(first, v.name());
      Layout layout = Layout.natural(shape.length);
      DataType type = v.type().dataType();
      TfliteModel.Quant q;
      if (type == DataType.FLOAT) {
        List<Node> qs = cx.view.quantizers(v.name());
        if (qs.isEmpty() || qs.size() != readers.size()) {
          throw new Unmappable(
              first,
              "model input '" + v.name() + "' is read as float, not through a QuantizeLinear",
              "quantize the model with edgeopt quantize so the input is int8");
        }
        q = cx.view.activationQuant(qs.get(0));
      } else if (type == DataType.INT8 || type == DataType.UINT8) {
        q =
            cx.view.activationQuant(
                readers.stream()
                    .filter(r -> r.opType().equals(QdqView.DQ))
                    .findFirst()
                    .orElseThrow(
                        () ->
                            new Unmappable(
                                first,
                                "integer input '" + v.name() + "' is not dequantized",
                                "read integer inputs through DequantizeLinear")));
      } else {
        throw new Unmappable(
            first, "model input '" + v.name() + "' is " + type, "feed float or int8 images");
      }
      LoweringContext.TRef ref;
      if (io == IoType.UINT8) {
        TfliteModel.Quant u = TfliteModel.Quant.of(q.scale(), q.zeroPoint() + 128);
        int ut =
            cx.model.addTensor(
                new TfliteModel.Tensor(
                    v.name(),
                    org.tensorflow.lite.schema.TensorType.UINT8,
                    layout.tfliteShape(shape),
                    layout.tfliteSignature(shape),
                    null,
                    u));
        cx.model.addInput(ut);
        int it = cx.addActivation(v.name() + "/int8", shape, layout, q);
        cx.op(
            BuiltinOperator.QUANTIZE,
            2,
            new int[] {ut},
            List.of(TfliteModel.Role.ACTIVATION),
            new int[] {it},
            new OpOptions.Quantize());
        ref = new LoweringContext.TRef(it, q, layout, shape);
      } else {
        int it = cx.addActivation(v.name(), shape, layout, q);
        cx.model.addInput(it);
        ref = new LoweringContext.TRef(it, q, layout, shape);
      }
      cx.alias(v.name(), ref);
    }
  }

  private static void lowerNode(LoweringContext cx, Node n) throws Unmappable {
    if (cx.fusedNodes.contains(n.name())) {
      return;
    }
    if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
      throw new Unmappable(
          n,
          "operator of domain '" + n.domain() + "' has no TFLite lowering",
          "export the model with standard ONNX operators and QuantizeLinear/DequantizeLinear pairs");
    }
    switch (n.opType()) {
      case "QuantizeLinear" -> requantizePattern(cx, n);
      case "DequantizeLinear" -> {}
      case "Conv" -> ConvLowering.conv(cx, n);
      case "Gemm", "MatMul" -> ConvLowering.fullyConnected(cx, n);
      case "Add", "Sub", "Mul" -> ArithmeticLowering.binary(cx, n);
      case "Relu", "Clip" -> ArithmeticLowering.activation(cx, n);
      case "MaxPool", "AveragePool" -> SpatialLowering.pool(cx, n);
      case "GlobalAveragePool", "ReduceMean" -> SpatialLowering.mean(cx, n);
      case "Concat" -> ShapeLowering.concat(cx, n);
      case "Reshape", "Flatten", "Squeeze", "Unsqueeze" -> ShapeLowering.reshape(cx, n);
      case "Softmax" -> ArithmeticLowering.softmax(cx, n);
      case "Pad" -> ShapeLowering.pad(cx, n);
      case "Resize" -> SpatialLowering.resize(cx, n);
      case "Identity", "Dropout" -> ShapeLowering.passThrough(cx, n);
      case "BatchNormalization" ->
          throw new Unmappable(
              n,
              "BatchNormalization is not folded into its convolution",
              "run edgeopt ingest, which folds it");
      case "LRN" ->
          throw new Unmappable(
              n,
              "no TFLite int8 or Edge TPU kernel for LOCAL_RESPONSE_NORMALIZATION",
              "remove the LRN layer (modern networks use BatchNormalization, folded at ingest)");
      case "Transpose" ->
          throw new Unmappable(
              n,
              "a Transpose in the model has no mapping (the lowering only absorbs"
                  + " its own NCHW to NHWC change)",
              "remove the Transpose from the model");
      default ->
          throw new Unmappable(
              n,
              "no TFLite builtin lowering for " + n.opType(),
              "replace it with operators listed in docs/targets/edgetpu.md");
    }
  }

  /** A QuantizeLinear not directly after a lowered operator: requantizes an activation, or quantizes a constant. */
  private static void requantizePattern(LoweringContext cx, Node q) throws Unmappable {
    if (cx.values.containsKey(q.output()) || cx.graph.initializers().containsKey(q.input(0))) {
      return;
    }
    LoweringContext.TRef src = cx.act(q, 0);
    TfliteModel.Quant want = cx.view.activationQuant(q);
    cx.values.put(
        q.output(), want.sameAs(src.quant()) ? src : cx.requantize(src, want, q.output()));
  }

  private static void outputs(LoweringContext cx, IoType io) throws Unmappable {
    for (Value v : cx.graph.outputs()) {
      cx.origin("model output " + v.name());
      LoweringContext.TRef r = cx.values.get(cx.view.activationKey(v.name()));
      if (r == null) {
        r = cx.values.get(v.name());
      }
      if (r == null) {
        Node p =
            cx.view
                .producer(v.name())
                .orElse(Node.of(v.name(), "Output", List.of(), List.of(v.name())));
        throw new Unmappable(
            p,
            "model output '" + v.name() + "' is not quantized",
            "quantize the model with edgeopt quantize so the output is int8");
      }
      TfliteModel.Tensor t = cx.model.tensor(r.index());
      int out;
      if (io == IoType.UINT8) {
        TfliteModel.Quant u = TfliteModel.Quant.of(r.quant().scale(), r.quant().zeroPoint() + 128);
        out =
            cx.model.addTensor(
                new TfliteModel.Tensor(
                    v.name(),
                    org.tensorflow.lite.schema.TensorType.UINT8,
                    t.shape(),
                    t.shapeSignature(),
                    null,
                    u));
        cx.op(
            BuiltinOperator.QUANTIZE,
            2,
            new int[] {r.index()},
            List.of(TfliteModel.Role.ACTIVATION),
            new int[] {out},
            new OpOptions.Quantize());
      } else {
        out = r.index();
        cx.model.setTensor(
            out,
            new TfliteModel.Tensor(
                v.name(), t.type(), t.shape(), t.shapeSignature(), null, t.quant()));
      }
      cx.model.addOutput(out);
      cx.values.put(
          "output:" + v.name(),
          new LoweringContext.TRef(out, r.quant(), r.layout(), r.onnxShape()));
    }
  }

  private static Map<String, Object> ioDescription(LoweringContext cx, Graph g) {
    Map<String, Object> io = new LinkedHashMap<>();
    List<Map<String, Object>> ins = new ArrayList<>();
    for (Value v : g.inputs()) {
      LoweringContext.TRef r = cx.values.get(v.name());
      if (r != null) {
        ins.add(describe(v.name(), r));
      }
    }
    List<Map<String, Object>> outs = new ArrayList<>();
    for (Value v : g.outputs()) {
      LoweringContext.TRef r = cx.values.get("output:" + v.name());
      if (r != null) {
        outs.add(describe(v.name(), r));
      }
    }
    io.put("inputs", ins);
    io.put("outputs", outs);
    return io;
  }

  private static Map<String, Object> describe(String name, LoweringContext.TRef r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("onnxShape", r.onnxShape());
    m.put("layout", r.layout().kind().name());
    if (r.layout().kind() == Layout.Kind.FLAT_HWC) {
      m.put("flatChw", new int[] {r.layout().c(), r.layout().h(), r.layout().w()});
    }
    return m;
  }

  private static byte[] json(Object o) {
    try {
      return JSON.writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("metadata does not serialize", e);
    }
  }
}
