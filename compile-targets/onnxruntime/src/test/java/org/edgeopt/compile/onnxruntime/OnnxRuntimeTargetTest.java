package org.edgeopt.compile.onnxruntime;

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
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxRuntimeTargetTest {
  @TempDir Path tmp;

  @Test
  void isFoundThroughServiceLoader() throws Exception {
    assertInstanceOf(
        OnnxRuntimeTarget.class, Targets.forProfile(TargetProfiles.get("onnxruntime-cpu")));
  }

  @Test
  void writesOptimizedModelThatMatchesTheInput() throws Exception {
    Path model = tmp.resolve("m.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    Path out = tmp.resolve("out");
    CompileResult r =
        new OnnxRuntimeTarget()
            .compile(
                new CompileRequest(
                    model, TargetProfiles.get("onnxruntime-cpu"), out, "fp32", false, Map.of()));
    assertTrue(Files.isRegularFile(out.resolve("model.ort.onnx")));
    assertTrue(Files.readString(out.resolve("onnxruntime-report.json")).contains("\"maxAbsDiff\""));
    assertTrue(r.compatible());
    // BatchNormalization is fused into the Conv by the extended optimizer.
    assertTrue(
        OnnxModels.read(out.resolve("model.ort.onnx")).nodes().stream()
            .noneMatch(n -> n.opType().equals("BatchNormalization")));
  }

  @Test
  void theSavedModelKeepsInt8WeightsWhateverTheHostsKernels() throws Exception {
    // Exact INT8 arithmetic on an AVX2 host rewrites int8 weights to uint8 for ONNX Runtime's U8U8
    // kernels; the compiled model is for other machines and must not carry that rewrite.
    Path model = tmp.resolve("qdq.onnx");
    OnnxModels.write(TestModels.worstCaseQdqConv(127, false, 0.1f), model);
    Path out = tmp.resolve("qdq-out");
    new OnnxRuntimeTarget()
        .compile(
            new CompileRequest(
                model, TargetProfiles.get("onnxruntime-x86-vnni"), out, "int8", false, Map.of()));
    org.edgeopt.core.graph.Graph g = OnnxModels.read(out.resolve("model.ort.onnx"));
    assertTrue(g.opHistogram().containsKey("QLinearConv"), g.opHistogram().toString());
    assertTrue(
        g.initializers().values().stream()
            .filter(t -> t.elementCount() > 1)
            .allMatch(t -> t.dataType() == org.edgeopt.core.graph.DataType.INT8),
        g.initializers().toString());
  }

  @Test
  void refusesPrecisionTheProfileLacks() throws Exception {
    Path model = tmp.resolve("m.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                new OnnxRuntimeTarget()
                    .compile(
                        new CompileRequest(
                            model,
                            TargetProfiles.get("onnxruntime-cpu"),
                            tmp.resolve("o"),
                            "int4",
                            false,
                            Map.of())));
    assertEquals(ExitCode.INCOMPATIBLE, e.exitCode());
  }
}
