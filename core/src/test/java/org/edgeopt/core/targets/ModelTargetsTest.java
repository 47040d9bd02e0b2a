package org.edgeopt.core.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class ModelTargetsTest {
  private static Graph stamped(String json) {
    Graph g = TestModels.smallCnn(13);
    return g.toBuilder()
        .info(g.info().withMetadata(Map.of(ModelTargets.QUANTIZE_CONFIG_KEY, json)))
        .build();
  }

  @Test
  void theQuantizersStampThenTheFileKindThenThePortableDefault() throws Exception {
    ModelTargets.Resolved r =
        ModelTargets.of(Path.of("m.int8.onnx"), stamped("{\"target\":\"onnxruntime-arm64\"}"));
    assertEquals("onnxruntime-arm64", r.profile().name());
    assertEquals("model metadata", r.source());
    assertEquals(
        "edgetpu", ModelTargets.of(Path.of("out/m.edgetpu.TFLITE"), null).profile().name());
    ModelTargets.Resolved d = ModelTargets.of(Path.of("m.onnx"), TestModels.smallCnn(13));
    assertEquals("onnxruntime-cpu", d.profile().name());
    assertEquals("default", d.source());
    // A stamp that names no built-in profile, or is not JSON, names nothing.
    assertEquals(
        "onnxruntime-cpu",
        ModelTargets.of(Path.of("m.onnx"), stamped("{\"target\":\"my.json\"}")).profile().name());
    assertEquals(
        "onnxruntime-cpu", ModelTargets.of(Path.of("m.onnx"), stamped("{")).profile().name());
  }
}
