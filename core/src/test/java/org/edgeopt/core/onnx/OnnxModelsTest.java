package org.edgeopt.core.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OnnxModelsTest {
  @TempDir Path tmp;

  static void assertSameModel(Graph a, Graph b) {
    assertEquals(a.nodes(), b.nodes());
    assertEquals(a.inputs(), b.inputs());
    assertEquals(a.outputs(), b.outputs());
    assertEquals(a.initializers(), b.initializers());
    assertEquals(a.info().opsets(), b.info().opsets());
    assertEquals(a.info().metadata(), b.info().metadata());
  }

  @Test
  void roundTripsGeneratedModel() throws Exception {
    Graph g = TestModels.smallCnn(13);
    g = g.toBuilder().info(g.info().withMetadata(Map.of("k", "v"))).build();
    Path f = tmp.resolve("m.onnx");
    OnnxModels.write(g, f);
    Graph back = OnnxModels.read(f);
    assertSameModel(g, back);
    OnnxChecker.check(back, f.toString());
  }

  static Stream<String> sharedModels() {
    return Stream.of("mnist-7/mnist.onnx", "squeezenet-1.0/SqueezeNet_fp16.onnx");
  }

  @ParameterizedTest
  @MethodSource("sharedModels")
  void roundTripsRealModels(String rel) throws Exception {
    Path model = SharedModels.find(rel).orElse(null);
    assumeTrue(model != null, SharedModels.missingReason());
    Graph g = OnnxModels.read(model);
    Path f = tmp.resolve("rt.onnx");
    OnnxModels.write(g, f);
    assertSameModel(g, OnnxModels.read(f));
    OnnxChecker.check(g, rel);
  }

  @Test
  void readsFp16Initializers() throws Exception {
    Path model = SharedModels.find("squeezenet-1.0/SqueezeNet_fp16.onnx").orElse(null);
    assumeTrue(model != null, SharedModels.missingReason());
    Graph g = OnnxModels.read(model);
    assertTrue(g.initializers().values().stream().allMatch(t -> t.dataType() == DataType.FLOAT16));
  }

  @Test
  void convertsOpsetAndKeepsOutputs() throws Exception {
    Path model = SharedModels.find("mnist-7/mnist.onnx").orElse(null);
    assumeTrue(model != null, SharedModels.missingReason());
    Graph g = OnnxModels.read(model);
    Graph up = OnnxChecker.convertOpset(g, 13, "mnist");
    assertEquals(13, up.opset());
    Tensor x =
        Tensor.ofFloats("Input3", new long[] {1, 1, 28, 28}, TestModels.random(7, 784, 100f));
    try (InferenceSession a = OrtRuntime.get().open(g, SessionOptions.defaults());
        InferenceSession b = OrtRuntime.get().open(up, SessionOptions.defaults())) {
      float[] ya = a.run(Map.of("Input3", x)).values().iterator().next().toFloats();
      float[] yb = b.run(Map.of("Input3", x)).values().iterator().next().toFloats();
      assertArrayEquals(ya, yb, 1e-4f);
    }
  }

  @Test
  void shapeInferenceFillsValueInfo() throws Exception {
    Graph g = OnnxChecker.inferShapes(TestModels.smallCnn(13), "small");
    assertEquals(
        List.of(-1L, 4L, 8L, 8L),
        java.util.Arrays.stream(g.shape("c1").orElseThrow().sizes()).boxed().toList());
  }

  @Test
  void externalDataIsReadAndEscapesAreRefused() throws Exception {
    Graph g = TestModels.smallCnn(13);
    Tensor w = g.initializers().get("fc.w");
    Files.write(tmp.resolve("weights.bin"), toBytes(w));
    OnnxMl.ModelProto p = OnnxModels.toProto(g);
    OnnxMl.ModelProto ext = withExternal(p, "fc.w", "weights.bin");
    Path f = tmp.resolve("ext.onnx");
    Files.write(f, ext.toByteArray());
    assertEquals(w, OnnxModels.read(f).initializers().get("fc.w").withName("fc.w"));

    Files.write(f, withExternal(p, "fc.w", "../weights.bin").toByteArray());
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(f));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(
        e.getMessage().contains("escapes") && e.getMessage().contains("fc.w"), e.getMessage());
  }

  private static byte[] toBytes(Tensor t) {
    byte[] b = new byte[(int) t.byteSize()];
    t.data().get(b);
    return b;
  }

  private static OnnxMl.ModelProto withExternal(OnnxMl.ModelProto p, String name, String location) {
    OnnxMl.ModelProto.Builder b = p.toBuilder();
    OnnxMl.GraphProto.Builder g = b.getGraphBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals(name)) {
        g.setInitializer(
            i,
            g.getInitializer(i).toBuilder()
                .setRawData(ByteString.EMPTY)
                .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(
                    OnnxMl.StringStringEntryProto.newBuilder()
                        .setKey("location")
                        .setValue(location)));
      }
    }
    return b.build();
  }

  @Test
  void badFilesGiveOneClearLine() throws Exception {
    Path trunc = tmp.resolve("trunc.onnx");
    byte[] full = OnnxModels.toBytes(TestModels.smallCnn(13));
    Files.write(trunc, java.util.Arrays.copyOf(full, full.length / 2));
    Path random = tmp.resolve("random.onnx");
    Files.write(random, TestModels.random(9, 1000, 1f).toString().repeat(10).getBytes());
    for (Path p : List.of(trunc, random, tmp.resolve("missing.onnx"), tmp)) {
      EdgeoptException e =
          assertThrows(EdgeoptException.class, () -> OnnxModels.read(p), p.toString());
      assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
      assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void unknownOpNamesNode() throws Exception {
    OnnxMl.ModelProto p = OnnxModels.toProto(TestModels.smallCnn(13));
    OnnxMl.ModelProto.Builder b = p.toBuilder();
    b.getGraphBuilder().setNode(2, b.getGraphBuilder().getNode(2).toBuilder().setOpType("Relux"));
    Path f = tmp.resolve("unknown.onnx");
    Files.write(f, b.build().toByteArray());
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(f));
    assertTrue(
        e.getMessage().contains("relu1") && e.getMessage().contains("Relux"), e.getMessage());
  }

  /** Writes the small CNN with initializer 'fc.b' replaced by {@code t}. */
  private Path withFcBias(String name, OnnxMl.TensorProto t) throws Exception {
    OnnxMl.ModelProto.Builder m = OnnxModels.toProto(TestModels.smallCnn(13)).toBuilder();
    OnnxMl.GraphProto.Builder g = m.getGraphBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals("fc.b")) {
        g.setInitializer(i, t);
      }
    }
    Path p = tmp.resolve(name + ".onnx");
    Files.write(p, m.build().toByteArray());
    return p;
  }

  @Test
  void initializerOf2To40ElementsIsRefusedWithoutOverflow() throws Exception {
    // float_data rather than raw data: the reader sizes its buffer from the dimensions.
    Path p =
        withFcBias(
            "2e40",
            OnnxMl.TensorProto.newBuilder()
                .setName("fc.b")
                .setDataType(DataType.FLOAT.onnxCode())
                .addDims(1L << 40)
                .addFloatData(1f)
                .build());
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(p));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        p
            + ": tensor 'fc.b' declares float[1099511627776], more than 2147483647 bytes: expected a tensor of at "
            + "most 2 GiB",
        e.getMessage());
  }

  @Test
  void initializerWhoseDimensionsWrapAroundIsRefused() throws Exception {
    // 2^32 x 2^32 wraps to 0 elements in 64-bit arithmetic, which would match empty data.
    Path p =
        withFcBias(
            "wrap",
            OnnxMl.TensorProto.newBuilder()
                .setName("fc.b")
                .setDataType(DataType.FLOAT.onnxCode())
                .addDims(1L << 32)
                .addDims(1L << 32)
                .build());
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(p));
    assertTrue(
        e.getMessage().contains("tensor 'fc.b' declares float[4294967296, 4294967296], more than"),
        e.getMessage());
  }

  @Test
  void initializerWithNegativeDimensionIsRefused() throws Exception {
    Path p =
        withFcBias(
            "negative",
            OnnxMl.TensorProto.newBuilder()
                .setName("fc.b")
                .setDataType(DataType.FLOAT.onnxCode())
                .addDims(-3)
                .build());
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(p));
    assertEquals(
        p + ": tensor 'fc.b' declares dimensions [-3]: expected sizes >= 0", e.getMessage());
  }

  @Test
  void aTfliteOrZipFileIsNamedForWhatItIs() throws Exception {
    // The first bytes of every TFLite FlatBuffer: a root offset, then the identifier TFL3.
    Path tflite = tmp.resolve("model.onnx");
    Files.write(tflite, new byte[] {0x1c, 0, 0, 0, 'T', 'F', 'L', '3', 0, 0, 0, 0});
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(tflite));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(
        e.getMessage()
            .startsWith(tflite + ": expected an ONNX model, found a TensorFlow Lite model"),
        e.getMessage());
    Path zip = tmp.resolve("model.pt");
    Files.write(zip, new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0});
    EdgeoptException z = assertThrows(EdgeoptException.class, () -> OnnxModels.read(zip));
    assertTrue(
        z.getMessage().contains("found a zip archive (a TorchScript .pt is one)"), z.getMessage());
  }
}
