package org.edgeopt.compile.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: {@code compile --target onnxruntime-cpu} of the Fashion-MNIST sample calibrated with
 * {@code --method entropy} and quantized with {@code --target edgetpu} exited 1 and left
 * {@code model.ort.onnx} (mode 0600) and its report behind.
 */
class FashionMnistEntropyEdgeTpuQdqTest {
  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void quantizeTheSampleForTheEdgeTpu() throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    Dataset calibration = Datasets.open(sample.calibration().images().getParent(), pre, null, null);
    Graph fp32 = OnnxModels.read(sample.model());
    TargetProfile edgetpu = TargetProfiles.get("edgetpu");
    CalibrationTable table =
        Calibration.calibrate(
            fp32, calibration, CalibrationConfig.of(CalibrationMethod.ENTROPY).withSamples(500));
    ModelQuantizer.Outcome q =
        ModelQuantizer.quantize(
            fp32,
            table,
            QuantizeConfig.forTarget(edgetpu),
            null,
            new ModelQuantizer.Provenance("fashion-mnist", null, "entropy", null));
    model = dir.resolve("model.int8.onnx");
    q.write(model);
  }

  @Test
  void entropyEdgeTpuQdqModelCompilesForOnnxRuntimeCpuWithOrdinaryPermissions() throws Exception {
    Path out = dir.resolve("ort");
    CompileResult r =
        new OnnxRuntimeTarget()
            .compile(
                new CompileRequest(
                    model, TargetProfiles.get("onnxruntime-cpu"), out, "int8", false, Map.of()));
    assertEquals(
        List.of(
            out.resolve("model.ort.onnx").toAbsolutePath(),
            out.resolve("onnxruntime-report.json").toAbsolutePath()),
        r.artifacts());
    assertTrue(
        r.messages().stream().anyMatch(m -> m.contains(": within")), r.messages().toString());
    for (Path p : r.artifacts()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
      assertTrue(
          perms.contains(PosixFilePermission.GROUP_READ)
              && perms.contains(PosixFilePermission.OTHERS_READ),
          p + " is readable by all, as the umask allows: " + perms);
    }
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(
          Set.of("model.ort.onnx", "onnxruntime-report.json"),
          s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()),
          "no temp files left");
    }
  }

  @Test
  void toleranceOfAQuantizedOutputIsAtLeastAFewOutputSteps() throws Exception {
    Graph g = OnnxModels.read(model);
    double step = OnnxRuntimeTarget.outputStep(g);
    // The sample's logits leave through a DequantizeLinear when the Edge TPU profile quantizes
    // them.
    assertTrue(step > 0, "output step " + step);
    assertEquals(
        OnnxRuntimeTarget.OUTPUT_STEPS * 0.5, OnnxRuntimeTarget.tolerance(true, 1.0, 0.5), 1e-12);
    assertEquals(0.02 * 6.3, OnnxRuntimeTarget.tolerance(true, 6.3, 0.01), 1e-12);
    assertEquals(1e-4 * 6.3, OnnxRuntimeTarget.tolerance(false, 6.3, 0.5), 1e-12);
  }

  @Test
  void reportPathTakenByAFolderFailsWithExit3AndLeavesNoModelBehind() throws Exception {
    Path out = dir.resolve("ort-blocked");
    Files.createDirectories(out.resolve("onnxruntime-report.json"));
    Files.writeString(out.resolve("onnxruntime-report.json").resolve("keep.txt"), "x");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                new OnnxRuntimeTarget()
                    .compile(
                        new CompileRequest(
                            model,
                            TargetProfiles.get("onnxruntime-cpu"),
                            out,
                            "int8",
                            false,
                            Map.of())));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode(), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(
          List.of("onnxruntime-report.json"),
          s.map(p -> p.getFileName().toString()).toList(),
          "neither the model nor a temp file was left");
    }
  }
}
