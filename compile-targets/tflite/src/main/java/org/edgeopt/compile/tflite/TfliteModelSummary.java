package org.edgeopt.compile.tflite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.Padding;

/**
 * A stable, human-readable description of a TFLite flatbuffer, read back through the schema
 * classes: operator codes and versions, options, tensor types, shapes and quantization
 * parameters, buffer and metadata counts. Used for golden files and to inspect foreign models;
 * it leaves out what changes between builds (the description string, metadata contents).
 */
public final class TfliteModelSummary {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TfliteModelSummary() {}

  /** Returns the description of flatbuffer bytes as a JSON-ready map. */
  public static Map<String, Object> describe(byte[] bytes, String where) throws EdgeoptException {
    TfliteModel m = TfliteFlatbuffers.read(bytes, where);
    Model raw = Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("schemaVersion", raw.version());
    d.put("subgraph", m.subgraphName());
    d.put("inputs", m.inputs());
    d.put("outputs", m.outputs());
    Set<String> codes = new LinkedHashSet<>();
    List<Map<String, Object>> ops = new ArrayList<>();
    for (TfliteModel.Operator op : m.operators()) {
      codes.add(op.name() + " v" + op.version());
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("op", op.name());
      o.put("inputs", op.inputs());
      o.put("outputs", op.outputs());
      o.put("options", options(op.options()));
      ops.add(o);
    }
    d.put("operatorCodes", new ArrayList<>(codes));
    d.put("operators", ops);
    List<Map<String, Object>> tensors = new ArrayList<>();
    for (int i = 0; i < m.tensors().size(); i++) {
      TfliteModel.Tensor t = m.tensor(i);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("index", i);
      o.put("name", t.name());
      o.put("type", t.typeName());
      o.put("shape", t.shape());
      if (t.shapeSignature() != null) {
        o.put("shapeSignature", t.shapeSignature());
      }
      o.put("constantBytes", t.data() == null ? 0 : t.data().length);
      if (t.quant() != null) {
        o.put("scales", t.quant().scales());
        o.put("zeroPoints", t.quant().zeroPoints());
        o.put("quantizedDimension", t.quant().quantizedDimension());
      }
      tensors.add(o);
    }
    d.put("tensors", tensors);
    d.put("buffers", raw.buffersLength());
    d.put("metadata", new ArrayList<>(m.metadata().keySet()));
    return d;
  }

  /** Returns the description as indented JSON (the golden-file format). */
  public static String toJson(byte[] bytes, String where) throws EdgeoptException {
    try {
      return JSON.writeValueAsString(describe(bytes, where)) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("summary does not serialize", e);
    }
  }

  private static Map<String, Object> options(OpOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (o instanceof OpOptions.Conv2D c) {
      m.put("padding", Padding.name(c.padding()));
      m.put("stride", new int[] {c.strideH(), c.strideW()});
      m.put("dilation", new int[] {c.dilationH(), c.dilationW()});
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.DepthwiseConv2D c) {
      m.put("padding", Padding.name(c.padding()));
      m.put("stride", new int[] {c.strideH(), c.strideW()});
      m.put("depthMultiplier", c.depthMultiplier());
      m.put("dilation", new int[] {c.dilationH(), c.dilationW()});
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.Pool2D c) {
      m.put("padding", Padding.name(c.padding()));
      m.put("stride", new int[] {c.strideH(), c.strideW()});
      m.put("filter", new int[] {c.filterH(), c.filterW()});
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.FullyConnected c) {
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.Add c) {
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.Sub c) {
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.Mul c) {
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.Concatenation c) {
      m.put("axis", c.axis());
      m.put("activation", ActivationFunctionType.name(c.activation()));
    } else if (o instanceof OpOptions.Reshape c) {
      m.put("newShape", c.newShape());
    } else if (o instanceof OpOptions.Softmax c) {
      m.put("beta", c.beta());
    } else if (o instanceof OpOptions.Reducer c) {
      m.put("keepDims", c.keepDims());
    } else if (o instanceof OpOptions.ResizeBilinear c) {
      m.put("alignCorners", c.alignCorners());
      m.put("halfPixelCenters", c.halfPixelCenters());
    } else if (o instanceof OpOptions.ResizeNearest c) {
      m.put("alignCorners", c.alignCorners());
      m.put("halfPixelCenters", c.halfPixelCenters());
    } else if (o instanceof OpOptions.Unread c) {
      m.put("type", org.tensorflow.lite.schema.BuiltinOptions.name(c.type()));
    }
    return m;
  }
}
