package org.edgeopt.target.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.target.CompileRequest;
import org.edgeopt.core.target.CompileResult;
import org.edgeopt.core.target.TargetProfiles;
import org.edgeopt.core.target.Targets;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxRuntimeTargetTest {
  @TempDir Path tmp;

  @Test
  void isFoundThroughServiceLoader() throws Exception {
    assertInstanceOf(OnnxRuntimeTarget.class, Targets.forProfile(TargetProfiles.get("onnxruntime-cpu")));
  }

  @Test
  void writesOptimizedModelThatMatchesTheInput() throws Exception {
    Path model = tmp.resolve("m.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    Path out = tmp.resolve("out");
    CompileResult r = new OnnxRuntimeTarget().compile(
        new CompileRequest(model, TargetProfiles.get("onnxruntime-cpu"), out, "fp32", false, Map.of()));
    assertTrue(Files.isRegularFile(out.resolve("model.ort.onnx")));
    assertTrue(Files.readString(out.resolve("onnxruntime-report.json")).contains("\"maxAbsDiff\""));
    assertTrue(r.compatible());
    // BatchNormalization is fused into the Conv by the extended optimizer.
    assertTrue(OnnxModels.read(out.resolve("model.ort.onnx")).nodes().stream()
        .noneMatch(n -> n.opType().equals("BatchNormalization")));
  }

  @Test
  void refusesPrecisionTheProfileLacks() throws Exception {
    Path model = tmp.resolve("m.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> new OnnxRuntimeTarget().compile(
        new CompileRequest(model, TargetProfiles.get("onnxruntime-cpu"), tmp.resolve("o"), "int4", false, Map.of())));
    assertEquals(ExitCode.INCOMPATIBLE, e.exitCode());
  }
}
