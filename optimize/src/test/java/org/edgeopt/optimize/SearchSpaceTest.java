package org.edgeopt.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The search space each profile allows, the pruning dimensions' keys, and search.json's format upgrade. */
class SearchSpaceTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
    "onnxruntime-cpu, true, true, false",
    "onnxruntime-arm64, true, true, false",
    "edgetpu, false, false, false",
    "tensorrt-ampere, true, true, true",
    "tensorrt-jetson-orin, true, true, true"
  })
  void eachProfileHasChannelPruningAndTwoFourOnlyWhereItsKernelsExploitIt(
      String profile, boolean fp16, boolean floatFallback, boolean twoFour) throws Exception {
    SearchSpace s = SearchSpace.of(TargetProfiles.get(profile));
    assertEquals(fp16, s.fp16(), "FP16");
    assertEquals(floatFallback, s.floatFallback(), "float fallback");
    assertEquals(twoFour, s.twoFour(), "2:4");
    assertEquals(fp16 && floatFallback, s.fp16Islands(), "FP16 islands");
    assertEquals(
        s.fp16Islands(),
        s.contains(
            TrialConfig.int8("minmax", 0, false)
                .withFloatLayers(List.of("conv"))
                .withFp16Islands(true)));
    // Fewer channels are fewer MACs on every target: dense pruning is in every space.
    assertEquals(List.of(0.0, 0.125, 0.25), s.pruneLevels());
    TrialConfig base = TrialConfig.int8("entropy", 0, false);
    List<TrialConfig> pruned = s.pruned(base);
    assertEquals(
        twoFour ? 3 : 2, pruned.size(), "one trial per channel level, and 2:4 where exploited");
    assertEquals(0.125, pruned.get(0).pruneChannels());
    assertEquals(0.25, pruned.get(1).pruneChannels());
    assertEquals(twoFour, pruned.stream().anyMatch(TrialConfig::twoFour));
    assertTrue(pruned.stream().allMatch(s::contains), "the prune phase stays in the space");
    assertEquals(twoFour, s.contains(base.withTwoFour(true)));
    assertFalse(s.contains(base.withPruneChannels(0.5)), "a level the space does not list");
  }

  @Test
  void pruningLevelsThatChangeNothingInTheModelAreLeftOut() throws Exception {
    SearchSpace s = SearchSpace.of(TargetProfiles.get("onnxruntime-cpu"));
    var fashion = org.edgeopt.samples.SampleModels.fashionMnist();
    assertEquals(
        List.of(0.0, 0.125, 0.25),
        s.forGraph(org.edgeopt.core.onnx.OnnxModels.read(fashion.model()), "fashion").pruneLevels(),
        "the sample's groups lose channels at both levels");
    // One Conv writing the graph output: its channels are the model's answer, nothing to prune.
    org.edgeopt.core.graph.GraphBuilder b = new org.edgeopt.core.graph.GraphBuilder("one", 13);
    b.addInput(
        new org.edgeopt.core.graph.Value(
            "x",
            org.edgeopt.core.graph.TensorType.of(
                org.edgeopt.core.graph.DataType.FLOAT, 1, 3, 8, 8)));
    b.addInitializer(
        org.edgeopt.core.graph.Tensor.ofFloats("w", new long[] {16, 3, 1, 1}, new float[16 * 3]));
    b.add("Conv", "conv", List.of("x", "w"), List.of("y"));
    b.addOutput(
        new org.edgeopt.core.graph.Value(
            "y",
            org.edgeopt.core.graph.TensorType.of(
                org.edgeopt.core.graph.DataType.FLOAT, 1, 16, 8, 8)));
    SearchSpace one = s.forGraph(b.build(), "one");
    assertEquals(List.of(0.0), one.pruneLevels());
    assertTrue(one.pruned(TrialConfig.int8("minmax", 0, false)).isEmpty());
  }

  @Test
  void pruningChangesTheKeysButAnUnprunedKeyIsTheOneFormat1Wrote() {
    TrialConfig plain = TrialConfig.int8("percentile", 99.99, false);
    assertEquals("int8 percentile@99.99 pad=false float=[]", plain.key());
    assertEquals("", plain.graphKey());
    TrialConfig pruned = plain.withPruneChannels(0.25);
    assertEquals("int8 percentile@99.99 pad=false float=[] prune=0.25", pruned.key());
    assertNotEquals(plain.structureKey(), pruned.structureKey(), "pruning changes the kernels");
    assertEquals(plain.calibrationKey(), pruned.calibrationKey());
    assertNotEquals(pruned.graphKey(), pruned.withTwoFour(true).graphKey());
    assertEquals("INT8 percentile 99.99, 25% channels pruned", pruned.label());
    assertEquals(
        "FP16, 12.5% channels pruned, 2:4 sparse",
        TrialConfig.fp16().withPruneChannels(0.125).withTwoFour(true).label());
  }

  @Test
  void aFormat1LogIsUpgradedAndANewerOneRefused() throws Exception {
    Trial t =
        new Trial(
            0,
            "plain",
            TrialConfig.int8("minmax", 0, false),
            90,
            0.2,
            99,
            2,
            0.1,
            true,
            2,
            1000,
            100,
            1,
            true);
    SearchLog log =
        new SearchLog(
            SearchLog.FORMAT_VERSION,
            "test",
            Map.of("seed", "0"),
            Map.of(),
            90.2,
            "measured",
            1,
            List.of(t),
            Map.of(),
            -1,
            false,
            "");
    Path file = dir.resolve(SearchLog.FILE);
    log.write(file);
    String v2 = Files.readString(file);
    assertTrue(v2.contains("\"pruneChannels\""), v2);
    // What version 1 wrote: no pruning fields.
    String v1 =
        v2.replace("\"formatVersion\" : 2", "\"formatVersion\" : 1")
            .replaceAll(",\\s*\"pruneChannels\" : [0-9.]+", "")
            .replaceAll(",\\s*\"twoFour\" : (true|false)", "");
    assertFalse(v1.contains("pruneChannels") || v1.contains("twoFour"), v1);
    Files.writeString(file, v1);
    SearchLog read = SearchLog.read(file);
    assertEquals(SearchLog.FORMAT_VERSION, read.formatVersion());
    assertEquals(t.config(), read.trials().get(0).config());
    assertEquals(t.config().key(), read.trials().get(0).config().key());

    Files.writeString(file, v2.replace("\"formatVersion\" : 2", "\"formatVersion\" : 3"));
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> SearchLog.read(file));
    assertTrue(
        e.getMessage().contains("expected search log format 1 to 2, found 3"), e.getMessage());
    assertTrue(e.getMessage().contains("newer edgeopt"), e.getMessage());
  }
}
