package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.Target;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code edgetpu} target through the core SPI, as {@code edgeopt compile --target edgetpu} calls it. */
class EdgeTpuTargetTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TargetProfile profile;
  private static Graph smallCnnQdq;
  @TempDir Path dir;

  @BeforeAll
  static void models() throws Exception {
    profile = TargetProfiles.get("edgetpu");
    smallCnnQdq =
        EdgeTpuQuantization.quantize(
            TestGraphs.smallCnn(),
            TestGraphs.randomInputs("input", new long[] {1, 1, 8, 8}, 8, 3, 2f));
  }

  private CompileResult compile(Path model, boolean strict, Map<String, String> options)
      throws EdgeoptException {
    return Targets.forProfile(profile)
        .compile(new CompileRequest(model, profile, dir.resolve("out"), "int8", strict, options));
  }

  private Path batchTwoModel() throws Exception {
    GraphBuilder b = new GraphBuilder("batch2", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 2, 1, 4, 4)));
    b.addInitializer(Tensor.ofFloats("w", new long[] {2, 1, 1, 1}, new float[] {0.5f, -0.25f}));
    b.add(
        "Conv",
        "conv",
        List.of("x", "w"),
        List.of("y"),
        Attribute.of("kernel_shape", new long[] {1, 1}));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 2, 2, 4, 4)));
    Graph qdq =
        EdgeTpuQuantization.quantize(
            b.build(), TestGraphs.randomInputs("x", new long[] {2, 1, 4, 4}, 2, 1, 1f));
    return TestGraphs.write(qdq, dir, "batch2.onnx");
  }

  @Test
  void isFoundThroughServiceLoader() throws Exception {
    Target t = Targets.forProfile(profile);
    assertInstanceOf(EdgeTpuTarget.class, t);
    assertEquals("edgetpu", t.id());
  }

  @Test
  void compilesWritesReportsAndVerifies() throws Exception {
    Path model = TestGraphs.write(smallCnnQdq, dir, "small.qdq.onnx");
    CompileResult r = compile(model, true, Map.of());
    assertTrue(r.compatible());
    Path out = dir.resolve("out");
    assertEquals(
        List.of(
            out.resolve(EdgeTpuTarget.MODEL_FILE),
            out.resolve(EdgeTpuTarget.REPORT_FILE),
            out.resolve(EdgeTpuTarget.VERIFICATION_FILE)),
        r.artifacts());
    JsonNode report = JSON.readTree(out.resolve(EdgeTpuTarget.REPORT_FILE).toFile());
    assertTrue(report.path("compatible").asBoolean());
    assertEquals(6, report.path("operatorsOnEdgeTpu").asInt());
    // Whether the machine has the compiler decides which branch the report takes; both branches
    // are tested on their own in EdgeTpuCompilerRunTest (a fake compiler on a PATH).
    boolean installed = EdgeTpuCompilerRun.locate().isPresent();
    assertEquals(installed, report.path("edgetpuCompiler").path("found").asBoolean());
    assertTrue(
        r.messages().stream()
            .anyMatch(
                m ->
                    m.startsWith(
                        installed
                            ? "edgetpu_compiler exited with"
                            : "edgetpu_compiler not found on the PATH")),
        r.messages().toString());
    JsonNode v = JSON.readTree(out.resolve(EdgeTpuTarget.VERIFICATION_FILE).toFile());
    assertEquals(16, v.path("samples").asInt());
    assertTrue(
        v.path("maxAbsDiffInt8Steps").asDouble() <= 1.0,
        "within one int8 step of the QDQ model: " + v);
    TfliteModel m = TfliteFlatbuffers.read(out.resolve(EdgeTpuTarget.MODEL_FILE));
    String provenance =
        new String(
            m.metadata().get(OnnxToTflite.PROVENANCE_METADATA),
            java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(
        provenance.contains(
            "\"sourceSha256\":\"" + org.edgeopt.core.io.Hashes.sha256(model) + "\""),
        provenance);
  }

  @Test
  void uint8IoAddsQuantizeAtBothEnds() throws Exception {
    Path model = TestGraphs.write(smallCnnQdq, dir, "small.qdq.onnx");
    CompileResult r = compile(model, true, Map.of("io-type", "uint8"));
    assertTrue(r.compatible(), r.messages().toString());
    TfliteModel m = TfliteFlatbuffers.read(r.artifacts().get(0));
    List<String> ops = m.operators().stream().map(TfliteModel.Operator::name).toList();
    assertEquals("QUANTIZE", ops.get(0));
    assertEquals("QUANTIZE", ops.get(ops.size() - 1));
    TfliteModel.Tensor in = m.tensor(m.inputs().get(0));
    TfliteModel.Tensor int8In = m.tensor(m.operators().get(0).outputs()[0]);
    assertEquals(org.tensorflow.lite.schema.TensorType.UINT8, in.type());
    assertEquals(
        int8In.quant().zeroPoint() + 128,
        in.quant().zeroPoint(),
        "same real values, zero point moved by 128");
    assertEquals(org.tensorflow.lite.schema.TensorType.UINT8, m.tensor(m.outputs().get(0)).type());
  }

  @Test
  void strictFailsWithExitFiveAndStillWritesTheReport() throws Exception {
    Path model = batchTwoModel();
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> compile(model, true, Map.of()));
    assertEquals(ExitCode.INCOMPATIBLE, e.exitCode());
    assertTrue(e.getMessage().contains("batch 2"), e.getMessage());
    assertTrue(Files.isRegularFile(dir.resolve("out").resolve(EdgeTpuTarget.REPORT_FILE)));
  }

  @Test
  void withoutStrictAnIncompatibleModelStillCompiles() throws Exception {
    CompileResult r = compile(batchTwoModel(), false, Map.of());
    assertFalse(r.compatible());
    assertTrue(Files.isRegularFile(r.artifacts().get(0)));
    assertTrue(
        r.messages().stream().anyMatch(m -> m.contains("0 of 1 operators map to the Edge TPU")),
        r.messages().toString());
  }

  @Test
  void anUnmappableOperatorIsANamedError() throws Exception {
    GraphBuilder b = new GraphBuilder("lrn", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 2, 4, 4)));
    b.add("LRN", "norm1", List.of("x"), List.of("y"), Attribute.of("size", 3L));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, 2, 4, 4)));
    // The edgetpu profile's fully int8 placement quantizes the LRN's input and output too, so the
    // target reaches the LRN itself.
    Path model =
        TestGraphs.write(
            EdgeTpuQuantization.quantize(
                b.build(), TestGraphs.randomInputs("x", new long[] {1, 2, 4, 4}, 2, 1, 1f)),
            dir,
            "lrn.onnx");
    EdgeoptException loose =
        assertThrows(EdgeoptException.class, () -> compile(model, false, Map.of()));
    assertEquals(ExitCode.INVALID_INPUT, loose.exitCode());
    assertTrue(
        loose
            .getMessage()
            .contains(
                "LRN 'norm1': no TFLite int8 or Edge TPU kernel for"
                    + " LOCAL_RESPONSE_NORMALIZATION; remove the LRN layer"),
        loose.getMessage());
    EdgeoptException strict =
        assertThrows(EdgeoptException.class, () -> compile(model, true, Map.of()));
    assertEquals(ExitCode.INCOMPATIBLE, strict.exitCode());
  }

  @Test
  void badInputsAreInvalid() throws Exception {
    Path fp32 = TestGraphs.write(TestGraphs.smallCnn(), dir, "fp32.onnx");
    Path qdq = TestGraphs.write(smallCnnQdq, dir, "q.onnx");
    assertInvalid(() -> compile(fp32, false, Map.of()), "expected a quantized QDQ model");
    assertInvalid(
        () -> compile(qdq, false, Map.of("io-type", "int16")),
        "io-type: expected int8 or uint8, found 'int16'");
    assertInvalid(
        () -> compile(qdq, false, Map.of("build-engine", "true")), "unknown option 'build-engine'");
    assertInvalid(
        () -> compile(qdq, false, Map.of("verify-limit", "zero")), "expected a positive integer");
    assertInvalid(
        () ->
            Targets.forProfile(profile)
                .compile(new CompileRequest(qdq, profile, dir, "fp16", false, Map.of())),
        "the Edge TPU runs int8 only");
    Path junk = dir.resolve("junk.tflite");
    Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    assertInvalid(
        () -> TfliteFlatbuffers.read(junk),
        "not a TFLite model: expected the flatbuffer identifier TFL3");
  }

  @Test
  void floatLogitsAreQuantizedFromTheCalibrationTable() throws Exception {
    Graph fp32 = TestGraphs.smallCnn();
    // The real calibrate and quantize modules, with the graph output left float as ONNX Runtime
    // prefers (quantizeOutputs off): the target must quantize the logits from the table.
    org.edgeopt.core.quant.CalibrationTable calibration =
        EdgeTpuQuantization.calibrate(
            fp32, TestGraphs.randomInputs("input", new long[] {1, 1, 8, 8}, 8, 3, 2f));
    Path model =
        TestGraphs.write(
            EdgeTpuQuantization.quantize(fp32, calibration, true), dir, "float-logits.onnx");
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> compile(model, false, Map.of()));
    assertTrue(
        e.getMessage()
            .contains(
                "Gemm 'fc': its output 'logits' is not quantized (no QuantizeLinear follows it);"
                    + " pass the calibration table (option calibration=calibration.json)"),
        e.getMessage());
    Path table = dir.resolve("calibration.json");
    calibration.write(table);
    CompileResult r = compile(model, true, Map.of("calibration", table.toString()));
    assertTrue(r.compatible());
    assertTrue(
        r.messages().stream()
            .anyMatch(
                m ->
                    m.startsWith(
                        "fc: output 'logits' is float in the QDQ model;"
                            + " quantized with the calibration range")),
        r.messages().toString());
    JsonNode v =
        JSON.readTree(dir.resolve("out").resolve(EdgeTpuTarget.VERIFICATION_FILE).toFile());
    // Tolerance: the int8 body agrees with the QDQ model within 1 output step (as in
    // OpLoweringTest); rounding the float logits, which the QDQ reference does not do, adds at most
    // half a step. Measured: 1.012 steps at most, 0.25 on average, 47 of 48 values within one step
    // (the hand-placed QDQ this test used before, without the quantizer's mean-output adjustment
    // of the GlobalAveragePool, gave 0.866 at most and 0.27 on average).
    assertTrue(
        v.path("maxAbsDiffInt8Steps").asDouble() <= 1.5,
        "float logits within 1.5 output steps: " + v);
    assertTrue(
        v.path("meanAbsDiffInt8Steps").asDouble() <= 0.5,
        "float logits within half a step on average: " + v);
    assertEquals(1.0, v.path("top1Agreement").asDouble(), "same class as the QDQ model: " + v);
  }

  private static void assertInvalid(org.junit.jupiter.api.function.Executable call, String text) {
    EdgeoptException e = assertThrows(EdgeoptException.class, call);
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  /** The path {@code edgeopt validate --candidate model.tflite} takes: NCHW float batches in, float logits out. */
  @Test
  void runsAsACandidateThroughRuntimes() throws Exception {
    Path onnx = TestGraphs.write(smallCnnQdq, dir, "q.onnx");
    compile(onnx, false, Map.of());
    Path tflite = dir.resolve("out").resolve(EdgeTpuTarget.MODEL_FILE);
    Tensor batch = TestModels.smallCnnInput(9, 3);
    try (InferenceSession t =
            Runtimes.forModel(tflite, List.of()).open(tflite, SessionOptions.defaults());
        InferenceSession o =
            OrtRuntime.get()
                .open(
                    onnx,
                    SessionOptions.defaults()
                        .withOptimization(SessionOptions.Optimization.BASIC))) {
      assertEquals(List.of("input"), t.inputNames());
      assertEquals(List.of("logits"), t.outputNames());
      assertEquals(TensorType.of(DataType.FLOAT, 1, 1, 8, 8), t.inputTypes().get("input"));
      Tensor got = t.run(Map.of("input", batch)).get("logits");
      Tensor want = o.run(Map.of("input", batch)).get("logits");
      assertEquals(List.of(3L, 3L), java.util.Arrays.stream(got.dims()).boxed().toList());
      float step =
          TfliteFlatbuffers.read(tflite)
              .tensor(TfliteFlatbuffers.read(tflite).outputs().get(0))
              .quant()
              .scale();
      float[] g = got.toFloats();
      float[] w = want.toFloats();
      for (int i = 0; i < g.length; i++) {
        assertEquals(w[i], g[i], step * 1.001f, "logit " + i + " within one output step");
      }
    }
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                new TfliteRuntime()
                    .open(OnnxChecker.inferShapes(smallCnnQdq, "g"), SessionOptions.defaults()));
    assertTrue(e.getMessage().contains("runs .tflite files"));
  }
}
