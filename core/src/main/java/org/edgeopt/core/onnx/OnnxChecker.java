package org.edgeopt.core.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.onnx.ModelProto;
import org.bytedeco.onnx.global.onnx;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;

/**
 * The reference ONNX checker, shape inference and opset converter (the ONNX project's own C++
 * code through the bytedeco preset), with its errors turned into {@link EdgeoptException}s
 * that name the model.
 */
public final class OnnxChecker {
  /** The newest IR version the bundled ONNX library (1.17) knows. */
  public static final long CHECKER_IR_VERSION = 10;

  /** The newest tensor element type the bundled ONNX library knows (UINT4 = 21, INT4 = 22). */
  public static final int CHECKER_MAX_ELEM_TYPE = 22;

  private OnnxChecker() {}

  /** Runs the ONNX checker on a graph; {@code where} names the model in errors. */
  public static void check(Graph graph, String where) throws EdgeoptException {
    try (ModelProto mp = toNative(graph, where)) {
      onnx.check_model(mp);
    } catch (RuntimeException e) {
      throw EdgeoptException.invalid(
          where + ": the ONNX checker rejects the model: " + firstLine(e), e);
    }
  }

  /** Returns the graph with the types and shapes of its intermediate values inferred. */
  public static Graph inferShapes(Graph graph, String where) throws EdgeoptException {
    try (ModelProto mp = toNative(graph, where)) {
      onnx.InferShapes(mp);
      return fromNative(mp, graph, where);
    } catch (RuntimeException e) {
      throw EdgeoptException.invalid(where + ": ONNX shape inference failed: " + firstLine(e), e);
    }
  }

  /** Returns the graph converted to another default-domain opset by the ONNX version converter. */
  public static Graph convertOpset(Graph graph, int targetOpset, String where)
      throws EdgeoptException {
    try (ModelProto mp = toNative(graph, where);
        ModelProto converted = onnx.ConvertVersion(mp, targetOpset)) {
      Graph g = fromNative(converted, graph, where);
      // Opset 13 needs IR version 7; older files say 3, which would also oblige every
      // initializer to be listed as a graph input.
      long ir = Math.max(g.info().irVersion(), targetOpset >= 13 ? 7 : g.info().irVersion());
      org.edgeopt.core.graph.ModelInfo i = g.info();
      return g.toBuilder()
          .info(
              new org.edgeopt.core.graph.ModelInfo(
                  ir,
                  i.opsets(),
                  i.producerName(),
                  i.producerVersion(),
                  i.docString(),
                  i.metadata()))
          .build();
    } catch (RuntimeException e) {
      throw EdgeoptException.invalid(
          where
              + ": the ONNX version converter cannot take opset "
              + graph.opset()
              + " to "
              + targetOpset
              + ": "
              + firstLine(e),
          e);
    }
  }

  private static ModelProto toNative(Graph graph, String where) throws EdgeoptException {
    // IR 11 to 13 add element types and function features the checker cannot judge; a model
    // that uses none of them (OnnxModels refuses the types on reading) is the same model at IR
    // 10, so it is handed over as one. Results read back keep IR 10, which every runtime loads.
    OnnxMl.ModelProto proto = OnnxModels.toProto(graph);
    if (proto.getIrVersion() > CHECKER_IR_VERSION) {
      proto = proto.toBuilder().setIrVersion(CHECKER_IR_VERSION).build();
    }
    byte[] bytes = proto.toByteArray();
    ModelProto mp = new ModelProto();
    try (BytePointer bp = new BytePointer(bytes)) {
      if (!onnx.ParseProtoFromBytes(mp, bp, bytes.length)) {
        mp.close();
        throw EdgeoptException.invalid(
            where + ": the ONNX library cannot parse the serialized model");
      }
    }
    return mp;
  }

  private static Graph fromNative(ModelProto mp, Graph original, String where)
      throws EdgeoptException {
    long size = mp.ByteSizeLong();
    byte[] bytes = new byte[Math.toIntExact(size)];
    try (BytePointer bp = new BytePointer(size)) {
      if (!mp.SerializeToArray(bp, (int) size)) {
        throw new IllegalStateException(
            "the ONNX library could not serialize a model of " + size + " bytes");
      }
      bp.get(bytes);
    }
    try {
      OnnxMl.ModelProto proto = OnnxModels.parse(bytes);
      Graph g = OnnxModels.fromProto(proto, Path.of("."), where);
      return g.toBuilder().info(g.info().withMetadata(original.info().metadata())).build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the ONNX library wrote a model that does not parse", e);
    }
  }

  private static String firstLine(RuntimeException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
