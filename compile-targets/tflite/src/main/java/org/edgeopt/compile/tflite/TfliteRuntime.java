package org.edgeopt.compile.tflite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.tensorflowlite.global.tensorflowlite;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.runtime.InferenceRuntime;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Runs {@code .tflite} files in the TFLite interpreter as an {@link InferenceRuntime}, so a
 * compiled model can be validated exactly like the ONNX model it came from.
 *
 * <p>Sessions take and return float tensors in the ONNX model's shapes: float inputs are
 * quantized with the input tensor's parameters (round half to even, as ONNX QuantizeLinear does),
 * NCHW inputs are transposed to NHWC on the host (never by an operator in the model), and
 * outputs are dequantized and put back in ONNX order. Models edgeopt wrote say their ONNX shapes
 * in the {@value OnnxToTflite#IO_METADATA} metadata; other models are run in their own shapes.
 * A batch larger than the model's is run one model batch at a time.
 */
public final class TfliteRuntime implements InferenceRuntime {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return "tflite-2.18.0";
  }

  @Override
  public InferenceSession open(Graph graph, SessionOptions options) throws EdgeoptException {
    throw EdgeoptException.invalid(
        "graph '"
            + graph.name()
            + "': the TFLite runtime runs .tflite files; compile the"
            + " model with --target edgetpu first");
  }

  @Override
  public InferenceSession open(Path model, SessionOptions options) throws EdgeoptException {
    if (!Files.isRegularFile(model)) {
      throw EdgeoptException.invalid(model + ": TFLite model not found");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(model);
    } catch (IOException e) {
      throw EdgeoptException.invalid(model + ": cannot read: " + e.getMessage(), e);
    }
    TfliteModel description = TfliteFlatbuffers.read(bytes, model.toString());
    return new Session(
        TfliteInterpreter.open(bytes, model.toString(), options.threads()),
        description,
        model.toString());
  }

  /** The ONNX-side view of one input or output, from the model's metadata. */
  private record IoSpec(long[] onnxShape, Layout layout) {}

  /** One loaded model. */
  private static final class Session implements InferenceSession {
    private final TfliteInterpreter interpreter;
    private final String where;
    private final List<TfliteInterpreter.TensorInfo> ins;
    private final List<TfliteInterpreter.TensorInfo> outs;
    private final Map<String, IoSpec> io;

    Session(TfliteInterpreter interpreter, TfliteModel description, String where)
        throws EdgeoptException {
      this.interpreter = interpreter;
      this.where = where;
      this.ins = interpreter.inputs();
      this.outs = interpreter.outputs();
      this.io = ioSpecs(description, where);
    }

    private static Map<String, IoSpec> ioSpecs(TfliteModel m, String where)
        throws EdgeoptException {
      Map<String, IoSpec> specs = new HashMap<>();
      byte[] raw = m.metadata().get(OnnxToTflite.IO_METADATA);
      if (raw == null) {
        return specs;
      }
      try {
        JsonNode root = JSON.readTree(raw);
        for (String side : List.of("inputs", "outputs")) {
          for (JsonNode e : root.path(side)) {
            long[] shape = new long[e.path("onnxShape").size()];
            for (int i = 0; i < shape.length; i++) {
              shape[i] = e.path("onnxShape").get(i).asLong();
            }
            Layout layout =
                switch (e.path("layout").asText()) {
                  case "NHWC" -> Layout.NHWC;
                  case "FLAT_HWC" ->
                      Layout.flat(
                          e.path("flatChw").get(0).asInt(),
                          e.path("flatChw").get(1).asInt(),
                          e.path("flatChw").get(2).asInt());
                  default -> Layout.AS_IS;
                };
            specs.put(side + ":" + e.path("name").asText(), new IoSpec(shape, layout));
          }
        }
      } catch (IOException | RuntimeException e) {
        throw EdgeoptException.invalid(
            where
                + ": metadata '"
                + OnnxToTflite.IO_METADATA
                + "' is not valid JSON: "
                + e.getMessage(),
            e);
      }
      return specs;
    }

    @Override
    public List<String> inputNames() {
      return ins.stream().map(TfliteInterpreter.TensorInfo::name).toList();
    }

    @Override
    public List<String> outputNames() {
      return outs.stream().map(TfliteInterpreter.TensorInfo::name).toList();
    }

    @Override
    public Map<String, TensorType> inputTypes() {
      Map<String, TensorType> m = new LinkedHashMap<>();
      for (TfliteInterpreter.TensorInfo t : ins) {
        IoSpec s = io.get("inputs:" + t.name());
        long[] shape =
            s != null ? s.onnxShape() : java.util.Arrays.stream(t.dims()).asLongStream().toArray();
        m.put(
            t.name(),
            TensorType.of(
                t.quantized() || t.type() == tensorflowlite.kTfLiteFloat32
                    ? DataType.FLOAT
                    : dataType(t.type()),
                shape));
      }
      return m;
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputNames)
        throws EdgeoptException {
      int modelBatch =
          ins.isEmpty() || ins.get(0).dims().length == 0 ? 1 : Math.max(1, ins.get(0).dims()[0]);
      int batch = -1;
      for (TfliteInterpreter.TensorInfo t : ins) {
        Tensor given = inputs.get(t.name());
        if (given == null) {
          throw EdgeoptException.invalid(
              where + ": missing input '" + t.name() + "' (given: " + inputs.keySet() + ")");
        }
        int n = given.rank() == 0 ? 1 : (int) given.dim(0);
        if (given.rank() != t.dims().length || n % modelBatch != 0 || (batch >= 0 && n != batch)) {
          throw EdgeoptException.invalid(
              where
                  + ": input '"
                  + t.name()
                  + "' expects "
                  + inputTypes().get(t.name())
                  + " (batches of "
                  + modelBatch
                  + "), found "
                  + given.type());
        }
        batch = n;
      }
      Map<String, List<float[]>> chunks = new LinkedHashMap<>();
      for (int start = 0; start < Math.max(batch, 1); start += modelBatch) {
        for (int i = 0; i < ins.size(); i++) {
          TfliteInterpreter.TensorInfo t = ins.get(i);
          interpreter.setInput(i, encode(t, slice(inputs.get(t.name()), start, modelBatch)));
        }
        interpreter.invoke();
        for (int i = 0; i < outs.size(); i++) {
          TfliteInterpreter.TensorInfo t = outs.get(i);
          if (outputNames.contains(t.name())) {
            chunks
                .computeIfAbsent(t.name(), k -> new ArrayList<>())
                .add(decode(t, interpreter.output(i)));
          }
        }
      }
      Map<String, Tensor> result = new LinkedHashMap<>();
      for (TfliteInterpreter.TensorInfo t : outs) {
        List<float[]> parts = chunks.get(t.name());
        if (parts == null) {
          continue;
        }
        int per = parts.get(0).length;
        float[] all = new float[per * parts.size()];
        for (int k = 0; k < parts.size(); k++) {
          System.arraycopy(parts.get(k), 0, all, k * per, per);
        }
        IoSpec s = io.get("outputs:" + t.name());
        long[] shape =
            s != null
                ? s.onnxShape().clone()
                : java.util.Arrays.stream(t.dims()).asLongStream().toArray();
        if (shape.length > 0) {
          shape[0] = (shape[0] <= 0 ? modelBatch : shape[0]) * parts.size();
        }
        result.put(t.name(), Tensor.ofFloats(t.name(), shape, all));
      }
      return result;
    }

    private static Tensor slice(Tensor t, int start, int count) {
      if (t.rank() == 0 || (start == 0 && t.dim(0) == count)) {
        return t;
      }
      long[] d = t.dims();
      long per = t.byteSize() / d[0];
      ByteBuffer b = t.data();
      b.position((int) (start * per)).limit((int) ((start + count) * per));
      d[0] = count;
      return new Tensor(t.name(), t.dataType(), d, b.slice());
    }

    /** Returns the interpreter bytes for one model batch: quantized, and transposed to NHWC where recorded. */
    private byte[] encode(TfliteInterpreter.TensorInfo t, Tensor given) throws EdgeoptException {
      IoSpec s = io.get("inputs:" + t.name());
      long[] gd = given.dims();
      boolean nchw =
          s != null
              && s.layout().kind() == Layout.Kind.NHWC
              && gd.length == 4
              && java.util.Arrays.equals(
                  java.util.Arrays.copyOfRange(gd, 1, 4),
                  java.util.Arrays.copyOfRange(s.onnxShape(), 1, 4));
      byte[] bytes;
      int size;
      if (given.dataType() == DataType.FLOAT && t.quantized()) {
        float[] f = given.toFloats();
        long lo = t.type() == tensorflowlite.kTfLiteInt8 ? -128 : 0;
        long hi = t.type() == tensorflowlite.kTfLiteInt8 ? 127 : 255;
        bytes = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
          double q = Math.rint(f[i] / (double) t.scale()) + t.zeroPoint();
          bytes[i] = (byte) (long) Math.max(lo, Math.min(hi, Double.isNaN(q) ? t.zeroPoint() : q));
        }
        size = 1;
      } else if (given.dataType() == dataType(t.type())) {
        ByteBuffer d = given.data();
        bytes = new byte[d.remaining()];
        d.get(bytes);
        size = given.dataType().byteSize();
      } else {
        throw EdgeoptException.invalid(
            where
                + ": input '"
                + t.name()
                + "' is "
                + t.typeName()
                + ", given "
                + given.dataType());
      }
      return nchw ? Layout.transpose(bytes, size, gd, Layout.NCHW_TO_NHWC) : bytes;
    }

    /** Returns one model batch of an output as floats in ONNX order. */
    private float[] decode(TfliteInterpreter.TensorInfo t, byte[] raw) {
      int size = Math.max(1, (int) (t.bytes() / Math.max(1, elementCount(t.dims()))));
      ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      int n = raw.length / size;
      float[] f = new float[n];
      for (int i = 0; i < n; i++) {
        double v =
            switch (dataType(t.type())) {
              case INT8 -> b.get();
              case UINT8 -> b.get() & 0xff;
              case INT32 -> b.getInt();
              case FLOAT -> b.getFloat();
              default -> Double.NaN;
            };
        f[i] = t.quantized() ? (float) ((v - t.zeroPoint()) * t.scale()) : (float) v;
      }
      IoSpec s = io.get("outputs:" + t.name());
      if (s == null || s.layout().kind() == Layout.Kind.AS_IS) {
        return f;
      }
      long[] nhwc;
      if (s.layout().kind() == Layout.Kind.NHWC) {
        nhwc = new long[] {t.dims()[0], t.dims()[1], t.dims()[2], t.dims()[3]};
      } else {
        nhwc = new long[] {t.dims()[0], s.layout().h(), s.layout().w(), s.layout().c()};
      }
      ByteBuffer fb = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      fb.asFloatBuffer().put(f);
      byte[] back = Layout.transpose(fb.array(), 4, nhwc, new int[] {0, 3, 1, 2});
      ByteBuffer.wrap(back).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
      return f;
    }

    private static long elementCount(int[] dims) {
      long n = 1;
      for (int d : dims) {
        n *= d;
      }
      return n;
    }

    private static DataType dataType(int tfliteType) {
      if (tfliteType == tensorflowlite.kTfLiteInt8) {
        return DataType.INT8;
      } else if (tfliteType == tensorflowlite.kTfLiteUInt8) {
        return DataType.UINT8;
      } else if (tfliteType == tensorflowlite.kTfLiteInt32) {
        return DataType.INT32;
      } else if (tfliteType == tensorflowlite.kTfLiteFloat32) {
        return DataType.FLOAT;
      }
      return DataType.STRING;
    }

    @Override
    public void close() {
      interpreter.close();
    }
  }
}
