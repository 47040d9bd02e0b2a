package org.edgeopt.core.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.GraphException;
import org.edgeopt.core.graph.ModelInfo;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.io.AtomicFiles;

/**
 * Reads ONNX files into {@link Graph}s and writes them back.
 *
 * <p>Weights in external data files are memory-mapped; a location that escapes the model's
 * folder is refused. Every failure names the file and, where it applies, the node or tensor.
 */
public final class OnnxModels {
  /** The newest IR version edgeopt reads; IR 11 to 13 are checked as IR 10 (see {@link OnnxChecker}). */
  public static final long MAX_IR_VERSION = 13;

  /** The newest default-domain opset edgeopt reads: the bundled ONNX library's (1.17). */
  public static final long MAX_OPSET = 22;

  private OnnxModels() {}

  /** Reads and checks the structure of an ONNX model file. */
  public static Graph read(Path file) throws EdgeoptException {
    if (!Files.exists(file)) {
      throw EdgeoptException.invalid(file + ": model file not found");
    }
    if (Files.isDirectory(file)) {
      throw EdgeoptException.invalid(file + ": expected an ONNX model file, found a folder");
    }
    OnnxMl.ModelProto proto;
    try {
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length == 0) {
        throw EdgeoptException.invalid(file + ": expected an ONNX model, found an empty file");
      }
      String other = otherFormat(bytes);
      if (other != null) {
        throw EdgeoptException.invalid(file + ": expected an ONNX model, found " + other);
      }
      proto = parse(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw EdgeoptException.invalid(
          file
              + ": not a valid ONNX model (the protobuf does not parse: "
              + e.getMessage()
              + "); is the file truncated or of another format?",
          e);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read the model: " + e.getMessage(), e);
    }
    Path base = file.toAbsolutePath().getParent();
    return fromProto(proto, base, file.toString());
  }

  /**
   * Returns what a file is when its first bytes say it is a known model format other than ONNX,
   * with what to do about it, else null: a protobuf parser given such a file fails with a message
   * about end-group tags, or worse, succeeds.
   */
  static String otherFormat(byte[] b) {
    if (b.length >= 8 && b[4] == 'T' && b[5] == 'F' && b[6] == 'L' && b[7] == '3') {
      return "a TensorFlow Lite model (FlatBuffer identifier TFL3): edgeopt optimizes ONNX models"
          + " (convert it with tf2onnx), and edgeopt validate takes a .tflite as it is";
    }
    if (b.length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) {
      return "a zip archive (a TorchScript .pt is one): export the model to ONNX; a TorchScript"
          + " model serves as ingest's --reference";
    }
    return null;
  }

  /**
   * Refuses a model without outputs before a stage works on it: nothing it computes could be
   * read, so calibrating or quantizing it would only write artifacts of nothing.
   *
   * @throws EdgeoptException (exit 3) naming the model
   */
  public static void requireOutputs(Graph g, String where) throws EdgeoptException {
    if (g.outputs().isEmpty()) {
      throw EdgeoptException.invalid(
          where + ": the model has no outputs: expected at least one graph output");
    }
  }

  /** Parses serialized ONNX bytes, allowing models past protobuf's default 64 MB limit. */
  static OnnxMl.ModelProto parse(byte[] bytes) throws InvalidProtocolBufferException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setRecursionLimit(1024);
    in.setSizeLimit(Integer.MAX_VALUE);
    try {
      OnnxMl.ModelProto p = OnnxMl.ModelProto.parseFrom(in);
      in.checkLastTagWas(0);
      return p;
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e.getMessage());
    }
  }

  /** Converts a parsed model; {@code where} names its origin in error messages. */
  public static Graph fromProto(OnnxMl.ModelProto proto, Path baseDir, String where)
      throws EdgeoptException {
    if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0 || proto.getIrVersion() <= 0) {
      throw EdgeoptException.invalid(
          where
              + ": not an ONNX model (expected an ir_version and a graph with nodes, found "
              + (proto.hasGraph() ? proto.getGraph().getNodeCount() + " nodes" : "no graph")
              + ")");
    }
    if (proto.getIrVersion() > MAX_IR_VERSION) {
      throw EdgeoptException.invalid(
          where
              + ": IR version "
              + proto.getIrVersion()
              + " is newer than edgeopt reads: "
              + "expected 3 to "
              + MAX_IR_VERSION
              + " (re-export with an older ONNX, or update edgeopt)");
    }
    Map<String, Long> opsets = new LinkedHashMap<>();
    for (OnnxMl.OperatorSetIdProto o : proto.getOpsetImportList()) {
      opsets.put(o.getDomain(), o.getVersion());
      boolean standard = o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx");
      if (standard && (o.getVersion() > MAX_OPSET || o.getVersion() < 1)) {
        throw EdgeoptException.invalid(
            where
                + ": opset "
                + o.getVersion()
                + " of the default ONNX domain is not one "
                + "edgeopt supports: expected 1 to "
                + MAX_OPSET
                + " (export with a supported opset)");
      }
    }
    if (proto.getIrVersion() > OnnxChecker.CHECKER_IR_VERSION) {
      requireCheckerTypes(proto.getGraph(), proto.getIrVersion(), where);
    }
    Map<String, String> meta = new LinkedHashMap<>();
    for (OnnxMl.StringStringEntryProto e : proto.getMetadataPropsList()) {
      meta.put(e.getKey(), e.getValue());
    }
    ModelInfo info =
        new ModelInfo(
            proto.getIrVersion(),
            opsets,
            proto.getProducerName(),
            proto.getProducerVersion(),
            proto.getDocString(),
            meta);
    OnnxMl.GraphProto g = proto.getGraph();
    GraphBuilder b = new GraphBuilder(g.getName(), info.opset()).info(info);
    Set<String> initNames = new java.util.HashSet<>();
    for (OnnxMl.TensorProto t : g.getInitializerList()) {
      b.addInitializer(OnnxTensorReader.tensor(t, baseDir, where));
      initNames.add(t.getName());
    }
    for (OnnxMl.ValueInfoProto v : g.getInputList()) {
      if (!initNames.contains(v.getName())) {
        b.addInput(declared(v, "input", where));
      }
    }
    for (OnnxMl.ValueInfoProto v : g.getOutputList()) {
      b.addOutput(declared(v, "output", where));
    }
    for (OnnxMl.ValueInfoProto v : g.getValueInfoList()) {
      b.putValueInfo(value(v));
    }
    try {
      for (OnnxMl.NodeProto n : g.getNodeList()) {
        b.addNode(node(n, baseDir, where));
      }
      return b.build();
    } catch (GraphException e) {
      throw EdgeoptException.invalid(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses a model newer than the bundled checker that declares element types the checker does
   * not know (float4, float8e8m0, 2-bit integers): it is checked as IR {@value
   * OnnxChecker#CHECKER_IR_VERSION} only when nothing in it needs the newer IR.
   */
  private static void requireCheckerTypes(OnnxMl.GraphProto g, long ir, String where)
      throws EdgeoptException {
    List<OnnxMl.ValueInfoProto> values = new ArrayList<>(g.getInputList());
    values.addAll(g.getOutputList());
    values.addAll(g.getValueInfoList());
    for (OnnxMl.ValueInfoProto v : values) {
      if (v.getType().hasTensorType()
          && v.getType().getTensorType().getElemType() > OnnxChecker.CHECKER_MAX_ELEM_TYPE) {
        throw EdgeoptException.invalid(
            where
                + ": IR version "
                + ir
                + " model declares '"
                + v.getName()
                + "' with element type "
                + v.getType().getTensorType().getElemType()
                + ", which the bundled ONNX checker (IR "
                + OnnxChecker.CHECKER_IR_VERSION
                + ") cannot judge: expected element types up to "
                + OnnxChecker.CHECKER_MAX_ELEM_TYPE);
      }
    }
    for (OnnxMl.TensorProto t : g.getInitializerList()) {
      if (t.getDataType() > OnnxChecker.CHECKER_MAX_ELEM_TYPE) {
        throw EdgeoptException.invalid(
            where
                + ": IR version "
                + ir
                + " model holds initializer '"
                + t.getName()
                + "' of element type "
                + t.getDataType()
                + ", which the bundled ONNX checker (IR "
                + OnnxChecker.CHECKER_IR_VERSION
                + ") cannot judge");
      }
    }
  }

  /** Converts a graph input or output, refusing a negative dimension: no tensor has one. */
  private static Value declared(OnnxMl.ValueInfoProto v, String what, String where)
      throws EdgeoptException {
    if (v.getType().hasTensorType() && v.getType().getTensorType().hasShape()) {
      List<OnnxMl.TensorShapeProto.Dimension> dims =
          v.getType().getTensorType().getShape().getDimList();
      for (int i = 0; i < dims.size(); i++) {
        if (dims.get(i).hasDimValue() && dims.get(i).getDimValue() < 0) {
          throw EdgeoptException.invalid(
              where
                  + ": "
                  + what
                  + " '"
                  + v.getName()
                  + "' declares dimension "
                  + i
                  + " as "
                  + dims.get(i).getDimValue()
                  + ": expected a size >= 0, or a symbolic name for a dynamic dimension");
        }
      }
    }
    return value(v);
  }

  private static Node node(OnnxMl.NodeProto n, Path baseDir, String where) throws EdgeoptException {
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    for (OnnxMl.AttributeProto a : n.getAttributeList()) {
      attrs.put(a.getName(), attribute(a, n, baseDir, where));
    }
    return new Node(
        n.getName(), n.getOpType(), n.getDomain(), n.getInputList(), n.getOutputList(), attrs);
  }

  private static Attribute attribute(
      OnnxMl.AttributeProto a, OnnxMl.NodeProto n, Path baseDir, String where)
      throws EdgeoptException {
    String name = a.getName();
    return switch (a.getType()) {
      case FLOAT -> Attribute.of(name, a.getF());
      case INT -> Attribute.of(name, a.getI());
      case STRING -> Attribute.of(name, a.getS().toStringUtf8());
      case TENSOR -> Attribute.of(name, OnnxTensorReader.tensor(a.getT(), baseDir, where));
      case GRAPH -> Attribute.ofGraphBytes(name, a.getG().toByteArray());
      case FLOATS -> {
        float[] f = new float[a.getFloatsCount()];
        for (int i = 0; i < f.length; i++) {
          f[i] = a.getFloats(i);
        }
        yield Attribute.of(name, f);
      }
      case INTS ->
          Attribute.of(name, a.getIntsList().stream().mapToLong(Long::longValue).toArray());
      case STRINGS ->
          Attribute.ofStrings(
              name, a.getStringsList().stream().map(ByteString::toStringUtf8).toList());
      default ->
          throw EdgeoptException.invalid(
              where
                  + ": node '"
                  + n.getName()
                  + "' ("
                  + n.getOpType()
                  + "): attribute '"
                  + name
                  + "' of type "
                  + a.getType()
                  + " is not supported");
    };
  }

  private static Value value(OnnxMl.ValueInfoProto v) {
    if (!v.hasType() || !v.getType().hasTensorType()) {
      return new Value(v.getName(), null);
    }
    OnnxMl.TypeProto.Tensor tt = v.getType().getTensorType();
    DataType dt;
    try {
      dt = DataType.fromOnnx(tt.getElemType());
    } catch (IllegalArgumentException e) {
      return new Value(v.getName(), null);
    }
    Shape shape = null;
    if (tt.hasShape()) {
      List<Shape.Dim> dims = new ArrayList<>();
      for (OnnxMl.TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
        dims.add(
            d.hasDimValue()
                ? new Shape.Dim(d.getDimValue(), null)
                : new Shape.Dim(
                    -1, d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : null));
      }
      shape = new Shape(dims);
    }
    return new Value(v.getName(), new TensorType(dt, shape));
  }

  /** Writes a graph as an ONNX file, atomically. */
  public static void write(Graph graph, Path file) throws IOException {
    OnnxMl.ModelProto proto = toProto(graph);
    AtomicFiles.write(file, proto::writeTo);
  }

  /** Returns the serialized ONNX bytes of a graph. */
  public static byte[] toBytes(Graph graph) {
    return toProto(graph).toByteArray();
  }

  /** Converts a graph to an ONNX {@code ModelProto}, with all weights inline as raw data. */
  public static OnnxMl.ModelProto toProto(Graph graph) {
    ModelInfo info = graph.info();
    OnnxMl.ModelProto.Builder m =
        OnnxMl.ModelProto.newBuilder()
            .setIrVersion(info.irVersion())
            .setProducerName(info.producerName())
            .setProducerVersion(info.producerVersion())
            .setDocString(info.docString());
    info.opsets()
        .forEach(
            (d, v) ->
                m.addOpsetImport(
                    OnnxMl.OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
    info.metadata()
        .forEach(
            (k, v) ->
                m.addMetadataProps(
                    OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    OnnxMl.GraphProto.Builder g =
        OnnxMl.GraphProto.newBuilder().setName(graph.name() == null ? "" : graph.name());
    for (Node n : graph.nodes()) {
      g.addNode(toProto(n));
    }
    for (Tensor t : graph.initializers().values()) {
      g.addInitializer(toProto(t));
    }
    graph.inputs().forEach(v -> g.addInput(toProto(v)));
    if (info.irVersion() < 4) {
      // Before IR 4 every initializer also had to be declared as a graph input.
      graph
          .initializers()
          .values()
          .forEach(t -> g.addInput(toProto(new Value(t.name(), t.type()))));
    }
    graph.outputs().forEach(v -> g.addOutput(toProto(v)));
    graph.valueInfo().values().forEach(v -> g.addValueInfo(toProto(v)));
    return m.setGraph(g).build();
  }

  private static OnnxMl.NodeProto toProto(Node n) {
    OnnxMl.NodeProto.Builder b =
        OnnxMl.NodeProto.newBuilder()
            .setName(n.name())
            .setOpType(n.opType())
            .setDomain(n.domain())
            .addAllInput(n.inputs())
            .addAllOutput(n.outputs());
    for (Attribute a : n.attributes().values()) {
      OnnxMl.AttributeProto.Builder ab = OnnxMl.AttributeProto.newBuilder().setName(a.name());
      switch (a.kind()) {
        case FLOAT -> ab.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(a.asFloat());
        case INT -> ab.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(a.asLong());
        case STRING ->
            ab.setType(OnnxMl.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(a.asString()));
        case TENSOR ->
            ab.setType(OnnxMl.AttributeProto.AttributeType.TENSOR).setT(toProto(a.asTensor()));
        case GRAPH -> {
          try {
            ab.setType(OnnxMl.AttributeProto.AttributeType.GRAPH)
                .setG(OnnxMl.GraphProto.parseFrom(a.asGraphBytes()));
          } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(
                "sub-graph of node '" + n.name() + "' no longer parses", e);
          }
        }
        case FLOATS -> {
          ab.setType(OnnxMl.AttributeProto.AttributeType.FLOATS);
          for (float f : a.asFloats()) {
            ab.addFloats(f);
          }
        }
        case INTS -> {
          ab.setType(OnnxMl.AttributeProto.AttributeType.INTS);
          for (long l : a.asLongs()) {
            ab.addInts(l);
          }
        }
        case STRINGS -> {
          ab.setType(OnnxMl.AttributeProto.AttributeType.STRINGS);
          a.asStrings().forEach(s -> ab.addStrings(ByteString.copyFromUtf8(s)));
        }
        default -> throw new IllegalStateException("unreachable: " + a.kind());
      }
      b.addAttribute(ab);
    }
    return b.build();
  }

  /** Converts one tensor to an ONNX {@code TensorProto} with raw little-endian data. */
  public static OnnxMl.TensorProto toProto(Tensor t) {
    OnnxMl.TensorProto.Builder b =
        OnnxMl.TensorProto.newBuilder().setName(t.name()).setDataType(t.dataType().onnxCode());
    for (long d : t.dims()) {
      b.addDims(d);
    }
    return b.setRawData(ByteString.copyFrom(t.data())).build();
  }

  private static OnnxMl.ValueInfoProto toProto(Value v) {
    OnnxMl.ValueInfoProto.Builder b = OnnxMl.ValueInfoProto.newBuilder().setName(v.name());
    if (v.hasType()) {
      OnnxMl.TypeProto.Tensor.Builder tt =
          OnnxMl.TypeProto.Tensor.newBuilder().setElemType(v.type().dataType().onnxCode());
      if (v.type().shape() != null) {
        OnnxMl.TensorShapeProto.Builder s = OnnxMl.TensorShapeProto.newBuilder();
        for (Shape.Dim d : v.type().shape().dims()) {
          OnnxMl.TensorShapeProto.Dimension.Builder db =
              OnnxMl.TensorShapeProto.Dimension.newBuilder();
          if (d.isKnown()) {
            db.setDimValue(d.size());
          } else if (d.symbol() != null) {
            db.setDimParam(d.symbol());
          }
          s.addDim(db);
        }
        tt.setShape(s);
      }
      b.setType(OnnxMl.TypeProto.newBuilder().setTensorType(tt));
    }
    return b.build();
  }

  /** Returns a map of tensor name to type for every typed value of a graph. */
  public static Map<String, TensorType> knownTypes(Graph g) {
    Map<String, TensorType> m = new HashMap<>();
    g.valueInfo()
        .values()
        .forEach(
            v -> {
              if (v.hasType()) {
                m.put(v.name(), v.type());
              }
            });
    g.inputs()
        .forEach(
            v -> {
              if (v.hasType()) {
                m.put(v.name(), v.type());
              }
            });
    g.outputs()
        .forEach(
            v -> {
              if (v.hasType()) {
                m.put(v.name(), v.type());
              }
            });
    g.initializers().values().forEach(t -> m.put(t.name(), t.type()));
    return m;
  }
}
