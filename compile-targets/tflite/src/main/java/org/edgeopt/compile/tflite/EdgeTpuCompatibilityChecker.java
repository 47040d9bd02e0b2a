package org.edgeopt.compile.tflite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.targets.OpSupport;
import org.edgeopt.core.targets.TargetProfile;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.TensorType;

/**
 * Checks a lowered TFLite model against a target profile the way the Edge TPU compiler decides
 * what it maps: every operator against the profile's operator table, every tensor fully int8
 * (int32 biases), static shapes, batch within {@code maxBatch}, at most {@code maxActiveDims}
 * innermost dimensions larger than 1.
 *
 * <p>The rules come from the profile's data; this class only knows which ONNX operator (the
 * profile's key) each TFLite builtin stands for.
 */
public final class EdgeTpuCompatibilityChecker {
  // The profile is keyed by ONNX operator; each TFLite builtin is looked up under the ONNX operator
  // it implements.
  private static final Map<Integer, String> PROFILE_KEY =
      Map.ofEntries(
          Map.entry(BuiltinOperator.CONV_2D, "Conv"),
          Map.entry(BuiltinOperator.DEPTHWISE_CONV_2D, "Conv"),
          Map.entry(BuiltinOperator.TRANSPOSE_CONV, "ConvTranspose"),
          Map.entry(BuiltinOperator.FULLY_CONNECTED, "Gemm"),
          Map.entry(BuiltinOperator.ADD, "Add"),
          Map.entry(BuiltinOperator.SUB, "Sub"),
          Map.entry(BuiltinOperator.MUL, "Mul"),
          Map.entry(BuiltinOperator.RELU, "Relu"),
          Map.entry(BuiltinOperator.RELU6, "Clip"),
          Map.entry(BuiltinOperator.RELU_N1_TO_1, "Clip"),
          Map.entry(BuiltinOperator.LOGISTIC, "Sigmoid"),
          Map.entry(BuiltinOperator.TANH, "Tanh"),
          Map.entry(BuiltinOperator.PRELU, "PRelu"),
          Map.entry(BuiltinOperator.MAX_POOL_2D, "MaxPool"),
          Map.entry(BuiltinOperator.AVERAGE_POOL_2D, "AveragePool"),
          Map.entry(BuiltinOperator.MEAN, "ReduceMean"),
          Map.entry(BuiltinOperator.REDUCE_MAX, "ReduceMax"),
          Map.entry(BuiltinOperator.CONCATENATION, "Concat"),
          Map.entry(BuiltinOperator.RESHAPE, "Reshape"),
          Map.entry(BuiltinOperator.SQUEEZE, "Squeeze"),
          Map.entry(BuiltinOperator.EXPAND_DIMS, "Unsqueeze"),
          Map.entry(BuiltinOperator.SOFTMAX, "Softmax"),
          Map.entry(BuiltinOperator.PAD, "Pad"),
          Map.entry(BuiltinOperator.RESIZE_BILINEAR, "Resize"),
          Map.entry(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, "Resize"),
          Map.entry(BuiltinOperator.SLICE, "Slice"),
          Map.entry(BuiltinOperator.STRIDED_SLICE, "Slice"),
          Map.entry(BuiltinOperator.SPLIT, "Split"),
          Map.entry(BuiltinOperator.TRANSPOSE, "Transpose"),
          Map.entry(BuiltinOperator.SPACE_TO_DEPTH, "SpaceToDepth"),
          Map.entry(BuiltinOperator.LOCAL_RESPONSE_NORMALIZATION, "LRN"),
          Map.entry(BuiltinOperator.QUANTIZE, "QuantizeLinear"),
          Map.entry(BuiltinOperator.DEQUANTIZE, "DequantizeLinear"));

  private EdgeTpuCompatibilityChecker() {}

  /** Checks a lowering: its operators, then the first ONNX node it could not lower, if any. */
  public static EdgeTpuCompatibilityReport check(
      OnnxToTflite.Result lowering, TargetProfile profile) {
    List<EdgeTpuCompatibilityReport.Entry> entries = entries(lowering.model(), profile);
    OnnxToTflite.Unmapped u = lowering.unmapped();
    if (u != null) {
      List<String> reasons = new ArrayList<>();
      OpSupport s = profile.support(u.opType());
      if (!s.supported()) {
        reasons.add(
            u.opType()
                + " is not in the "
                + profile.name()
                + " operator table: "
                + s.constraints());
      }
      reasons.add(
          "no TFLite lowering: " + u.reason() + (u.hint().isEmpty() ? "" : "; " + u.hint()));
      entries.add(
          new EdgeTpuCompatibilityReport.Entry(
              entries.size(), null, u.node(), u.opType(), false, reasons));
      for (int i = 0; i < u.remaining().size(); i++) {
        entries.add(
            new EdgeTpuCompatibilityReport.Entry(
                entries.size(),
                null,
                u.remaining().get(i),
                u.remainingOps().get(i),
                false,
                List.of("not lowered (after '" + u.node() + "')")));
      }
    }
    return finish(profile, entries);
  }

  /** Checks a TFLite model (lowered here or read from any file). */
  public static EdgeTpuCompatibilityReport check(TfliteModel model, TargetProfile profile) {
    return finish(profile, entries(model, profile));
  }

  private static List<EdgeTpuCompatibilityReport.Entry> entries(
      TfliteModel m, TargetProfile profile) {
    Set<Integer> modelInputs = new HashSet<>(m.inputs());
    Set<Integer> modelOutputs = new HashSet<>(m.outputs());
    List<EdgeTpuCompatibilityReport.Entry> entries = new ArrayList<>();
    for (TfliteModel.Operator op : m.operators()) {
      String key = PROFILE_KEY.getOrDefault(op.opcode(), op.name());
      List<String> reasons = new ArrayList<>();
      OpSupport s = profile.support(key);
      if (!s.supported()) {
        reasons.add(
            op.name()
                + " (ONNX "
                + key
                + ") is not in the "
                + profile.name()
                + " operator table: "
                + s.constraints());
      }
      // QUANTIZE maps only as the uint8 <-> int8 conversion at the model's edges (--io-type uint8);
      // an int8 -> int8 requantization inside the graph does not.
      boolean boundary = true;
      if (op.opcode() == BuiltinOperator.QUANTIZE || op.opcode() == BuiltinOperator.DEQUANTIZE) {
        byte inType = m.tensor(op.inputs()[0]).type();
        byte outType = m.tensor(op.outputs()[0]).type();
        boolean converts = inType != outType;
        boolean atInput = Arrays.stream(op.inputs()).allMatch(modelInputs::contains);
        boolean atOutput = Arrays.stream(op.outputs()).allMatch(modelOutputs::contains);
        boundary = converts && (atInput || atOutput);
      }
      if (!boundary) {
        reasons.add(
            op.name()
                + " other than the uint8/int8 conversion at the model's input or output"
                + " (a requantization) is not mapped ("
                + s.constraints()
                + "); give the operators around it the same"
                + " quantization parameters");
      }
      int[] in = op.inputs();
      for (int i = 0; i < in.length; i++) {
        if (in[i] >= 0) {
          tensorRules(m.tensor(in[i]), op.roles().get(i), boundary, profile, reasons);
        }
      }
      for (int o : op.outputs()) {
        tensorRules(m.tensor(o), TfliteModel.Role.ACTIVATION, boundary, profile, reasons);
      }
      entries.add(
          new EdgeTpuCompatibilityReport.Entry(
              entries.size(), op.name(), op.origin(), key, reasons.isEmpty(), reasons));
    }
    return entries;
  }

  private static void tensorRules(
      TfliteModel.Tensor t,
      TfliteModel.Role role,
      boolean boundary,
      TargetProfile profile,
      List<String> reasons) {
    byte type = t.type();
    switch (role) {
      case ACTIVATION, WEIGHT -> {
        boolean ok = type == TensorType.INT8 || (boundary && type == TensorType.UINT8);
        if (!ok || t.quant() == null) {
          reasons.add(
              "not fully int8: tensor '"
                  + t.name()
                  + "' is "
                  + t.typeName()
                  + (t.quant() == null ? " without quantization parameters" : ""));
        }
      }
      case BIAS -> {
        if (type != TensorType.INT32) {
          reasons.add(
              "not fully int8: bias '" + t.name() + "' is " + t.typeName() + ", expected INT32");
        }
      }
      default -> {}
    }
    if (role != TfliteModel.Role.ACTIVATION) {
      return;
    }
    int[] shape = t.shape();
    if (profile.staticShapes() && !t.isStatic()) {
      reasons.add(
          "dynamic shape: tensor '"
              + t.name()
              + "' has shape signature "
              + Arrays.toString(t.shapeSignature())
              + " (the Edge TPU needs every shape fixed at compile time)");
    }
    if (profile.maxBatch() > 0 && shape.length >= 2 && shape[0] > profile.maxBatch()) {
      reasons.add(
          "batch "
              + shape[0]
              + ": tensor '"
              + t.name()
              + "' "
              + Arrays.toString(shape)
              + " exceeds the"
              + " largest batch "
              + profile.maxBatch());
    }
    int maxActive = profile.maxActiveDims();
    if (maxActive > 0 && shape.length > maxActive) {
      for (int d = 0; d < shape.length - maxActive; d++) {
        if (shape[d] > 1) {
          reasons.add(
              "too many active dimensions: tensor '"
                  + t.name()
                  + "' "
                  + Arrays.toString(shape)
                  + " has a dimension larger than 1 outside its "
                  + maxActive
                  + " innermost");
          break;
        }
      }
    }
  }

  private static EdgeTpuCompatibilityReport finish(
      TargetProfile profile, List<EdgeTpuCompatibilityReport.Entry> entries) {
    List<EdgeTpuCompatibilityReport.Entry> out = new ArrayList<>();
    List<String> findings = new ArrayList<>();
    EdgeTpuCompatibilityReport.Entry first = null;
    int onTpu = 0;
    for (EdgeTpuCompatibilityReport.Entry e : entries) {
      for (String r : e.reasons()) {
        findings.add(e.describe() + ": " + r);
      }
      if (first == null && !e.onTpu()) {
        first = e;
      }
      if (first != null && e.onTpu()) {
        // The Edge TPU compiler maps one prefix of the graph: after the first CPU operator
        // everything runs on the CPU.
        e =
            new EdgeTpuCompatibilityReport.Entry(
                e.index(),
                e.tfliteOp(),
                e.onnxNode(),
                e.profileOp(),
                false,
                List.of("runs on the CPU because " + first.describe() + " does"));
      }
      onTpu += e.onTpu() ? 1 : 0;
      out.add(e);
    }
    return new EdgeTpuCompatibilityReport(profile.name(), out, onTpu, first, findings, Map.of());
  }
}
