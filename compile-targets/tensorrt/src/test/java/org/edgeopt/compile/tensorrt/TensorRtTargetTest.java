package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorRtTargetTest {
  @TempDir Path dir;

  private Path model(Graph g) throws Exception {
    Path p = dir.resolve(g.name() + ".onnx");
    OnnxModels.write(g, p);
    return p;
  }

  private Path calibration(Graph g) throws Exception {
    CalibrationTable t =
        MinMaxRanges.ofTensors(
            g,
            g.name().equals("small_cnn")
                ? TrtTestModels.smallCnnInputs(2, 8)
                : TrtTestModels.residualInputs(2, 8));
    Path p = dir.resolve(g.name() + ".calibration.json");
    t.write(p);
    return p;
  }

  private static CompileRequest request(
      Path model, String profile, Path out, String precision, Map<String, String> opts)
      throws EdgeoptException {
    return new CompileRequest(model, TargetProfiles.get(profile), out, precision, false, opts);
  }

  @Test
  void theTargetIsFoundThroughTheServiceLoaderForBothTensorRtProfiles() throws Exception {
    assertInstanceOf(
        TensorRtTarget.class, Targets.forProfile(TargetProfiles.get("tensorrt-ampere")));
    assertInstanceOf(
        TensorRtTarget.class, Targets.forProfile(TargetProfiles.get("tensorrt-jetson-orin")));
  }

  @Test
  void int8FromFp32AndCalibrationWritesQdqModelRecipeAndCache() throws Exception {
    Graph g = TestModels.smallCnn(13);
    Path out = dir.resolve("out");
    CompileResult r =
        new TensorRtTarget()
            .compile(
                request(
                    model(g),
                    "tensorrt-ampere",
                    out,
                    "int8",
                    Map.of("calibration", calibration(g).toString())));
    assertEquals(
        List.of(
            out.resolve("model.trt-qdq.onnx"),
            out.resolve("trtexec.sh"),
            out.resolve("calibration.cache")),
        r.artifacts());
    assertTrue(r.compatible());
    Graph qdq = OnnxModels.read(out.resolve("model.trt-qdq.onnx"));
    assertTrue(TensorRtQdqChecker.check(qdq).ok());
    assertEquals(3, TensorRtQdqChecker.check(qdq).int8Layers().size());
    String script = Files.readString(out.resolve("trtexec.sh"));
    assertTrue(
        script.contains("--int8")
            && script.contains("--fp16")
            && script.contains("--maxShapes=input:16x1x8x8"),
        script);
    assertFalse(script.contains("--sparsity=enable"), "dense weights: no sparse kernels asked for");
    assertTrue(Files.isExecutable(out.resolve("trtexec.sh")));
    assertTrue(
        Files.readString(out.resolve("calibration.cache"))
            .startsWith("TRT-100600-EntropyCalibration2\n"));
    assertFalse(Files.exists(out.resolve("model.engine")));
  }

  @Test
  void buildEngineWithoutTensorRtStillWritesModelAndRecipeThenExitsFiveNamingTheMissingLibrary()
      throws Exception {
    TensorRtEnvironment env = TensorRtEnvironment.probe();
    assumeFalse(env.ready(), "this machine has CUDA and TensorRT: the GPU test covers the build");
    Graph g = TestModels.smallCnn(13);
    Path out = dir.resolve("no-gpu");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                new TensorRtTarget()
                    .compile(
                        request(
                            model(g),
                            "tensorrt-ampere",
                            out,
                            "int8",
                            Map.of(
                                "calibration",
                                calibration(g).toString(),
                                "build-engine",
                                "true"))));
    assertEquals(ExitCode.INCOMPATIBLE, e.exitCode());
    assertEquals(5, e.exitCode().code());
    assertTrue(e.getMessage().contains(env.missing().get(0).soname()), e.getMessage());
    assertTrue(e.getMessage().contains("trtexec.sh"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
    assertTrue(Files.isRegularFile(out.resolve("model.trt-qdq.onnx")));
    assertTrue(Files.isExecutable(out.resolve("trtexec.sh")));
    assertFalse(Files.exists(out.resolve("model.engine")));
  }

  @Test
  void aQdqModelIsReExportedUnderTensorRtRules() throws Exception {
    Graph g = TrtTestModels.residualNet();
    CalibrationTable t = MinMaxRanges.ofTensors(g, TrtTestModels.residualInputs(2, 8));
    Graph qdq = TensorRtQdqExporter.fromCalibration(g, t, "residual").graph();
    Path in = dir.resolve("residual.qdq.onnx");
    OnnxModels.write(qdq, in);
    Path out = dir.resolve("qdq");
    CompileResult r =
        new TensorRtTarget().compile(request(in, "tensorrt-jetson-orin", out, null, Map.of()));
    assertTrue(
        r.messages().get(0).startsWith("3 weighted layers in int8"), r.messages().toString());
    assertTrue(TensorRtQdqChecker.check(OnnxModels.read(out.resolve("model.trt-qdq.onnx"))).ok());
  }

  @Test
  void fp16WritesTheFloatModelAndAnFp16Recipe() throws Exception {
    Path out = dir.resolve("fp16");
    CompileResult r =
        new TensorRtTarget()
            .compile(
                request(model(TestModels.smallCnn(13)), "tensorrt-ampere", out, "fp16", Map.of()));
    assertEquals(out.resolve("model.trt.onnx"), r.artifacts().get(0));
    String script = Files.readString(out.resolve("trtexec.sh"));
    assertTrue(script.contains("--fp16") && !script.contains("--int8 "), script);
  }

  @Test
  void int8WithoutRangesAndUnknownPrecisionsAreInvalidInput() throws Exception {
    Path m = model(TestModels.smallCnn(13));
    EdgeoptException noRanges =
        assertThrows(
            EdgeoptException.class,
            () ->
                new TensorRtTarget()
                    .compile(request(m, "tensorrt-ampere", dir.resolve("a"), "int8", Map.of())));
    assertEquals(ExitCode.INVALID_INPUT, noRanges.exitCode());
    assertTrue(noRanges.getMessage().contains("calibration"), noRanges.getMessage());
    EdgeoptException int4 =
        assertThrows(
            EdgeoptException.class,
            () ->
                new TensorRtTarget()
                    .compile(request(m, "tensorrt-ampere", dir.resolve("b"), "int4", Map.of())));
    assertEquals(ExitCode.INVALID_INPUT, int4.exitCode());
  }

  @Test
  void twoFourSparseWeightsTurnOnSparseKernelsOnlyWhereTheProfileExploitsThem() throws Exception {
    Graph dense = TrtTestModels.residualNet();
    float[] w = dense.initializers().get("b.w").toFloats();
    // zero input channels 2 and 3 of every group of four, at every output channel and kernel
    // position
    for (int o = 0; o < 8; o++) {
      for (int c = 0; c < 8; c++) {
        for (int k = 0; k < 9; k++) {
          if (c % 4 >= 2) {
            w[(o * 8 + c) * 9 + k] = 0f;
          }
        }
      }
    }
    Graph sparse =
        dense.toBuilder()
            .addInitializer(Tensor.ofFloats("b.w", new long[] {8, 8, 3, 3}, w))
            .build();
    assertEquals(List.of("conv_b"), TwoFourSparsity.sparseLayers(sparse));
    Path m = model(sparse);
    Path cal = calibration(sparse);
    Path out = dir.resolve("sparse");
    CompileResult r =
        new TensorRtTarget()
            .compile(
                request(m, "tensorrt-ampere", out, "int8", Map.of("calibration", cal.toString())));
    assertTrue(Files.readString(out.resolve("trtexec.sh")).contains("--sparsity=enable"));
    assertTrue(
        r.messages().stream().anyMatch(s -> s.startsWith("1 layers have 2:4-sparse weights")),
        r.messages().toString());
    assertEquals(
        List.of("conv_b"),
        TwoFourSparsity.sparseLayers(OnnxModels.read(out.resolve("model.trt-qdq.onnx"))),
        "the pattern survives int8 quantization");

    TargetProfile dense24 = TargetProfiles.get("tensorrt-ampere");
    TargetProfile noSparsity =
        new TargetProfile(
            "trt-no-sparsity",
            "tensorrt",
            "test",
            dense24.precisions(),
            "none",
            "no sparse tensor cores",
            "NCHW",
            false,
            0,
            0,
            "int8",
            true,
            List.of(),
            false,
            0,
            "entropy",
            true,
            Map.of(),
            0,
            Map.of(),
            0,
            0,
            0,
            "",
            List.of(),
            "",
            "",
            List.of(),
            "");
    Path out2 = dir.resolve("sparse2");
    CompileResult r2 =
        new TensorRtTarget()
            .compile(
                new CompileRequest(
                    m, noSparsity, out2, "int8", false, Map.of("calibration", cal.toString())));
    assertFalse(Files.readString(out2.resolve("trtexec.sh")).contains("--sparsity=enable"));
    assertTrue(
        r2.messages().stream().anyMatch(s -> s.contains("no sparse tensor cores")),
        r2.messages().toString());
  }
}
