package org.edgeopt.target.tensorrt;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.target.CompileRequest;
import org.edgeopt.core.target.CompileResult;
import org.edgeopt.core.target.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds real engines; runs only with {@code -Dgroups=gpu} on a machine with CUDA 12 and TensorRT 10. */
@Tag("gpu")
class TensorRtEngineGpuTest {
  @Test
  void buildsAnInt8EngineAndATimingCacheInProcess(@TempDir Path dir) throws Exception {
    TensorRtEnvironment env = TensorRtEnvironment.probe();
    assumeTrue(env.ready(), "no CUDA/TensorRT here: missing " + env.describeMissing());
    Graph g = TestModels.smallCnn(13);
    Path model = dir.resolve("small.onnx");
    OnnxModels.write(g, model);
    CalibrationTable t = MinMaxRanges.ofTensors(g, TrtTestModels.smallCnnInputs(2, 8));
    Path cal = dir.resolve("calibration.json");
    t.write(cal);
    Path out = dir.resolve("out");
    CompileResult r = new TensorRtTarget().compile(new CompileRequest(model, TargetProfiles.get("tensorrt-ampere"), out,
        "int8", false, Map.of("calibration", cal.toString(), "build-engine", "true")));
    assertTrue(r.artifacts().contains(out.resolve("model.engine")));
    assertTrue(Files.size(out.resolve("model.engine")) > 1000);
    assertTrue(Files.size(out.resolve("timing.cache")) > 0);
  }
}
