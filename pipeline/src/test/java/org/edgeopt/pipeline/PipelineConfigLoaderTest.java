package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigLoaderTest {
  @TempDir Path dir;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("m.onnx"), "x");
    Files.createDirectories(dir.resolve("cal"));
    Files.createDirectories(dir.resolve("hold"));
  }

  private static final String GOOD = String.join("\n",
      "model: m.onnx",
      "target: edgetpu",
      "calibration:",
      "  data: cal",
      "holdout:",
      "  data: hold",
      "");

  private EdgeoptException bad(String yaml) throws Exception {
    Path f = dir.resolve("edgeopt.yaml");
    Files.writeString(f, yaml);
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> PipelineConfigLoader.load(f));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    return e;
  }

  @Test
  void loadsMinimalConfigWithDefaultsAndResolvesPaths() throws Exception {
    Path f = dir.resolve("edgeopt.yaml");
    Files.writeString(f, GOOD);
    PipelineConfig c = PipelineConfigLoader.load(f);
    assertEquals(dir.resolve("m.onnx"), c.model());
    assertEquals("int8", c.precision());
    assertEquals("none", c.pruning().mode());
    assertEquals(1.0, c.gate().maxTop1Drop());
    assertEquals(0.0, c.gate().maxP95LatencyMs());
    assertEquals(dir.resolve("edgeopt-out"), c.output());
  }

  /** Issue 14 (fuzz corpus, seed 7): {@code maxTop1Drop: 1e309} passed the check and crashed later (exit 1). */
  @Test
  void gateMaxTop1Drop1e309() throws Exception {
    EdgeoptException e = bad(GOOD + "gate:\n  maxTop1Drop: 1e309\n");
    assertTrue(e.getMessage().endsWith("key 'gate.maxTop1Drop': expected a finite number of points >= 0, found Infinity"),
        e.getMessage());
  }

  @Test
  void badValueNamesKeyAndLine() throws Exception {
    EdgeoptException e = bad(GOOD.replace("target: edgetpu", "target: edgetpu\nprecision: int4"));
    assertTrue(e.getMessage().endsWith("edgeopt.yaml:3: key 'precision': expected int8 or fp16, found 'int4'"), e.getMessage());
  }

  @Test
  void unknownKeyNamesKeyAndLine() throws Exception {
    EdgeoptException e = bad(GOOD.replace("  data: cal", "  data: cal\n  sample: 3"));
    assertTrue(e.getMessage().contains("edgeopt.yaml:5: key 'calibration.sample': unknown key"), e.getMessage());
  }

  @Test
  void missingRequiredKey() throws Exception {
    EdgeoptException e = bad(GOOD.replace("holdout:\n  data: hold\n", ""));
    assertTrue(e.getMessage().contains("key 'holdout': required key is missing"), e.getMessage());
  }

  @Test
  void missingFileNamesKey() throws Exception {
    EdgeoptException e = bad(GOOD.replace("data: hold", "data: nowhere"));
    assertTrue(e.getMessage().contains("edgeopt.yaml:6: key 'holdout.data': expected holdout data, found nothing at"), e.getMessage());
  }

  @Test
  void unknownTarget() throws Exception {
    EdgeoptException e = bad(GOOD.replace("edgetpu", "coral9000"));
    assertTrue(e.getMessage().contains(":2: key 'target': unknown target 'coral9000'"), e.getMessage());
  }

  @Test
  void notYaml() throws Exception {
    EdgeoptException e = bad("model: [unclosed\n");
    assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
  }
}
