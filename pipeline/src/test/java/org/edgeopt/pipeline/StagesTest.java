package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.quantize.Precision;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage functions the pipeline and the single-stage commands share: one set of option checks. */
class StagesTest {
  @TempDir Path tmp;

  @Test
  void quantizeRefusesAPrecisionTheTargetDoesNotRunBeforeReadingAnything() throws Exception {
    TargetProfile edgetpu = TargetProfiles.get("edgetpu");
    Path out = tmp.resolve("m.fp16.onnx");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Stages.quantize(
                    edgetpu,
                    tmp.resolve("missing.onnx"),
                    null,
                    QuantizeConfig.forTarget(edgetpu).withPrecision(Precision.FP16),
                    null,
                    out,
                    "precision"));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals("target 'edgetpu' runs int8; precision fp16 is not among them", e.getMessage());
    assertFalse(Files.exists(out));
  }

  @Test
  void eachTargetPicksTheDefaultPrecisionOfAFloatModel() throws Exception {
    // ONNX Runtime keeps FP32 (its CPU kernels gain nothing from FP16); TensorRT builds FP16; the
    // Edge TPU runs int8 only; a QDQ model is int8 everywhere.
    assertEquals("fp32", defaultPrecision("onnxruntime-cpu", false));
    assertEquals("fp16", defaultPrecision("tensorrt-ampere", false));
    assertEquals("int8", defaultPrecision("edgetpu", false));
    assertEquals("int8", defaultPrecision("onnxruntime-cpu", true));
    assertEquals("int8", defaultPrecision("tensorrt-jetson-orin", true));
  }

  @Test
  void compileWithoutAPrecisionReportsTheOneTheTargetPicked() throws Exception {
    Path model = SampleModels.get("digits-mlp").model();
    assertFalse(Stages.isQuantized(model));
    Stages.Compiled c =
        Stages.compile(
            model,
            TargetProfiles.get("onnxruntime-cpu"),
            tmp.resolve("ort"),
            null,
            false,
            java.util.Map.of());
    assertEquals("fp32", c.precision());
    assertTrue(
        c.result().artifacts().stream().allMatch(Files::isRegularFile),
        c.result().artifacts().toString());
  }

  private static String defaultPrecision(String profile, boolean quantized)
      throws EdgeoptException {
    TargetProfile p = TargetProfiles.get(profile);
    return Targets.forProfile(p).defaultPrecision(p, quantized);
  }
}
