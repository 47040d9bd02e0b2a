package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

  private static final String GOOD =
      String.join(
          "\n",
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
  void packageSectionResolvesItsPathsAndNeedsAKey() throws Exception {
    Files.writeString(dir.resolve("signing.key"), "not checked here");
    Path f = dir.resolve("edgeopt.yaml");
    Files.writeString(f, GOOD + "package:\n  key: signing.key\n  version: 1.2.0\n");
    PipelineConfig c = PipelineConfigLoader.load(f);
    assertEquals(dir.resolve("signing.key"), c.packaging().key());
    assertEquals("1.2.0", c.packaging().version());
    EdgeoptException e = bad(GOOD + "package:\n  key: missing.key\n");
    assertTrue(
        e.getMessage().contains("key 'package.key': expected an Ed25519 private key file"),
        e.getMessage());
  }

  @Test
  void gateMaxTop1Drop1e309() throws Exception {
    EdgeoptException e = bad(GOOD + "gate:\n  maxTop1Drop: 1e309\n");
    assertTrue(
        e.getMessage()
            .endsWith(
                "key 'gate.maxTop1Drop': expected a finite number of points >= 0, found Infinity"),
        e.getMessage());
  }

  @Test
  void badValueNamesKeyAndLine() throws Exception {
    EdgeoptException e = bad(GOOD.replace("target: edgetpu", "target: edgetpu\nprecision: int4"));
    assertTrue(
        e.getMessage()
            .endsWith("edgeopt.yaml:3: key 'precision': expected int8 or fp16, found 'int4'"),
        e.getMessage());
  }

  @Test
  void unknownKeyNamesKeyAndLine() throws Exception {
    EdgeoptException e = bad(GOOD.replace("  data: cal", "  data: cal\n  sample: 3"));
    assertTrue(
        e.getMessage().contains("edgeopt.yaml:5: key 'calibration.sample': unknown key"),
        e.getMessage());
  }

  @Test
  void missingRequiredKey() throws Exception {
    EdgeoptException e = bad(GOOD.replace("holdout:\n  data: hold\n", ""));
    assertTrue(e.getMessage().contains("key 'holdout': required key is missing"), e.getMessage());
  }

  @Test
  void missingFileNamesKey() throws Exception {
    EdgeoptException e = bad(GOOD.replace("data: hold", "data: nowhere"));
    assertTrue(
        e.getMessage()
            .contains(
                "edgeopt.yaml:6: key 'holdout.data': expected holdout data, found nothing at"),
        e.getMessage());
  }

  @Test
  void unknownTarget() throws Exception {
    EdgeoptException e = bad(GOOD.replace("edgetpu", "coral9000"));
    assertTrue(
        e.getMessage().contains(":2: key 'target': unknown target 'coral9000'"), e.getMessage());
  }

  @Test
  void notYaml() throws Exception {
    EdgeoptException e = bad("model: [unclosed\n");
    assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
  }

  /** Asserts the one-line message after the file name: {@code :LINE: key 'K': ...}. */
  private void refusedWith(String yaml, String expectedAfterFile) throws Exception {
    EdgeoptException e = bad(yaml);
    assertEquals(dir.resolve("edgeopt.yaml") + expectedAfterFile, e.getMessage());
    assertFalse(
        e.getMessage().contains("`") || e.getMessage().contains("java."),
        "no Java or Jackson text: " + e.getMessage());
  }

  @Test
  void yamlDuplicateKeyIsRefused() throws Exception {
    refusedWith(
        GOOD + "model: other.onnx\n",
        ":7: key 'model' appears twice (lines 1 and 7): expected each key once");
    refusedWith(
        GOOD.replace("  data: cal\n", "  data: cal\n  method: minmax\n  method: mse\n"),
        ":6: key 'calibration.method' appears twice (lines 5 and 6): expected each key once");
  }

  @Test
  void samplesOnePointFiveIsRefused() throws Exception {
    refusedWith(
        GOOD.replace("  data: cal\n", "  data: cal\n  samples: 1.5\n"),
        ":5: key 'calibration.samples': expected a whole number, found '1.5'");
  }

  @Test
  void samplesPastIntRangeIsRefused() throws Exception {
    refusedWith(
        GOOD.replace("  data: cal\n", "  data: cal\n  samples: 99999999999\n"),
        ":5: key 'calibration.samples': expected a whole number from 0 to 2147483647, found 99999999999");
  }

  @Test
  void holdoutSamplesMinusThreeIsRefused() throws Exception {
    refusedWith(
        GOOD + "  samples: -3\n",
        ":7: key 'holdout.samples': expected a count >= 0 (0 for all), found -3");
  }

  @Test
  void calibrationWithoutValueSaysSo() throws Exception {
    // Was a NullPointerException (exit 1).
    refusedWith(
        GOOD.replace("  data: cal\n", ""),
        ":3: key 'calibration': has no value: expected a mapping with at least data:");
  }

  @Test
  void holdoutWithoutValueSaysSo() throws Exception {
    refusedWith(
        GOOD.replace("  data: hold\n", ""),
        ":5: key 'holdout': has no value: expected a mapping with at least data:");
  }

  @Test
  void modelWithoutValueSaysSo() throws Exception {
    refusedWith(
        GOOD.replace("model: m.onnx", "model:"),
        ":1: key 'model': has no value: expected the path of an ONNX model");
  }

  @Test
  void targetWithoutValueSaysSo() throws Exception {
    refusedWith(
        GOOD.replace("target: edgetpu", "target:"),
        ":2: key 'target': has no value: expected a target profile (see edgeopt targets)");
  }

  @Test
  void classesAsOneWordSaysAListIsExpected() throws Exception {
    refusedWith(
        GOOD + "classes: cat\n",
        ":7: key 'classes': expected a list, e.g. [cat, dog], found 'cat'");
  }

  @Test
  void classesWithAnEmptyEntryIsRefused() throws Exception {
    refusedWith(
        GOOD + "classes: [a, null]\n",
        ":7: key 'classes': classes has an empty entry: expected a class name in every " + "place");
  }

  @Test
  void calibrationAsANumberSaysAMappingIsExpected() throws Exception {
    refusedWith(
        GOOD.replace("calibration:\n  data: cal", "calibration: 5"),
        ":3: key 'calibration': expected a mapping of keys (see docs/pipeline.md), found 5");
  }

  @Test
  void gateThresholdAsTextSaysANumberIsExpected() throws Exception {
    refusedWith(
        GOOD + "gate:\n  maxTop1Drop: abc\n",
        ":8: key 'gate.maxTop1Drop': expected a number, found 'abc'");
  }

  @Test
  void topLevelListSaysAMappingIsExpected() throws Exception {
    refusedWith(
        "- a\n- b\n",
        ":1: key '(top level)': expected a mapping of keys (see docs/pipeline.md), found a list");
  }
}
