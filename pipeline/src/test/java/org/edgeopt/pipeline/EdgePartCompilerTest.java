package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.compile.tflite.EdgeTpuTarget;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.planners.split.Cut;
import org.edgeopt.planners.split.CutEnumerator;
import org.edgeopt.planners.split.Encoding;
import org.edgeopt.planners.split.Link;
import org.edgeopt.planners.split.SplitJob;
import org.edgeopt.planners.split.SplitRequest;
import org.edgeopt.planners.split.WireFormat;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split's edge part compiled for the Edge TPU: quantized with the split's calibration
 * samples, lowered to TFLite, run in the TFLite interpreter and then the ONNX server part on 200
 * Fashion-MNIST holdout images, against the whole FP32 model.
 */
class EdgePartCompilerTest {
  static final int SAMPLES = 200;
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void edgeTpuEdgePartRunsInTfliteAndEdgeThenServerAgreesWithTheWholeModel() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset holdout = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    Dataset calibration = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    SplitRequest r =
        new SplitRequest(
            TargetProfiles.get("edgetpu"),
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.04),
            new Encoding(WireFormat.FP32, false),
            holdout,
            20,
            null,
            calibration,
            Double.NaN,
            0,
            50,
            0);
    Path dir = tmp.resolve("split");
    // The planner runs every cut on 20 samples; the compiled parts are checked on 200.
    // On this small model the modelled best is edge-only on every link; a cut after the third
    // residual block (one 9408-byte tensor) gives both parts to run.
    SplitJob.Outcome planned =
        SplitJob.run(s.model(), r, cutAfter(s, "/features/features.7/Add"), dir);
    assertEquals(List.of("/features/features.7/Add"), planned.plan().chosenCost().cut().frontier());
    assertFalse(planned.plan().chosenCost().cut().edgeOnly());

    EdgePartCompiler.Outcome o = EdgePartCompiler.compile(s.model(), planned, null, dir, SAMPLES);
    System.out.println(o.note());
    Path folder = EdgePartCompiler.folder(dir, r.edge());
    Path tflite = folder.resolve(EdgeTpuTarget.MODEL_FILE);
    assertTrue(o.compiled(), o.note());
    assertEquals("int8", o.precision());
    assertTrue(
        Files.isRegularFile(tflite)
            && Files.isRegularFile(folder.resolve(EdgePartCompiler.QDQ_FILE)));
    try (InferenceSession edge =
        Runtimes.forModel(tflite, List.of()).open(tflite, SessionOptions.defaults())) {
      assertEquals(List.of(planned.plan().chosenCost().cut().tensors().get(0)), edge.outputNames());
    }
    assertEquals(SAMPLES, o.check().samples());
    assertTrue(
        o.check().agreement() >= EdgePartCompiler.MIN_AGREEMENT,
        "top-1 agreement " + o.check().agreement());

    JsonNode m = JSON.readTree(dir.resolve("manifest.json").toFile()).get("edgeCompiled");
    assertTrue(m.get("compiled").asBoolean());
    assertEquals("edge-edgetpu/" + EdgeTpuTarget.MODEL_FILE, findTflite(m));
    assertTrue(m.get("verification").get("passed").asBoolean());
    assertEquals(o.check().agreement(), m.get("verification").get("top1Agreement").asDouble(), 0);
  }

  @Test
  void aTargetThatCannotCompileHereLeavesANoteAndNoFile() throws Exception {
    // TensorRT writes its QDQ model and trtexec recipe without a GPU; a profile whose target has
    // no plug-in on the class path is the case that leaves nothing.
    SampleModel s = SampleModels.fashionMnist();
    Path profile = tmp.resolve("npu.json");
    String json =
        new String(
                TargetProfiles.class
                    .getResourceAsStream("/org/edgeopt/core/targets/profiles/edgetpu.json")
                    .readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"edgetpu\"", "\"vendor-npu\"");
    Files.writeString(profile, json);
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset holdout = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    SplitRequest r =
        new SplitRequest(
            TargetProfiles.get(profile.toString()),
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.04),
            new Encoding(WireFormat.FP32, false),
            holdout,
            20,
            null,
            null,
            Double.NaN,
            0,
            20,
            0);
    Path dir = tmp.resolve("split");
    SplitJob.Outcome planned = SplitJob.run(s.model(), r, dir);
    EdgePartCompiler.Outcome o = EdgePartCompiler.compile(s.model(), planned, null, dir);
    assertFalse(o.compiled());
    assertTrue(o.note().contains("no compiler plug-in for target 'vendor-npu'"), o.note());
    JsonNode m = JSON.readTree(dir.resolve("manifest.json").toFile()).get("edgeCompiled");
    assertFalse(m.get("compiled").asBoolean());
    assertEquals(o.note(), m.get("note").asText());
    assertFalse(Files.exists(EdgePartCompiler.folder(dir, r.edge())));
  }

  @Test
  void anEdgePartTheTargetRefusesLeavesANoteAndNothingInItsFolder() throws Exception {
    // With int8 on the wire the edge part is a float graph ending in QuantizeLinear: the Edge TPU
    // lowering refuses it (its input is not quantized), after the target wrote its report.
    SampleModel s = SampleModels.fashionMnist();
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset holdout = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    Dataset calibration = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    SplitRequest r =
        new SplitRequest(
            TargetProfiles.get("edgetpu"),
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.04),
            new Encoding(WireFormat.INT8, false),
            holdout,
            20,
            null,
            calibration,
            Double.NaN,
            0,
            50,
            0);
    Path dir = tmp.resolve("split8");
    SplitJob.Outcome planned =
        SplitJob.run(s.model(), r, cutAfter(s, "/features/features.7/Add"), dir);
    EdgePartCompiler.Outcome o = EdgePartCompiler.compile(s.model(), planned, null, dir, SAMPLES);
    assertFalse(o.compiled());
    assertTrue(
        o.note().startsWith("edge part not compiled for edgetpu: ")
            && o.note().contains("QuantizeLinear"),
        o.note());
    assertFalse(Files.exists(EdgePartCompiler.folder(dir, r.edge())));
    JsonNode m = JSON.readTree(dir.resolve("manifest.json").toFile()).get("edgeCompiled");
    assertFalse(m.get("compiled").asBoolean());
    assertEquals(0, m.get("files").size());
    assertTrue(Files.isRegularFile(dir.resolve("edge.onnx")), "the ONNX edge part stays");
  }

  private static String findTflite(JsonNode m) {
    for (JsonNode f : m.get("files")) {
      if (f.asText().endsWith(".tflite")) {
        return f.asText();
      }
    }
    return null;
  }

  private static int cutAfter(SampleModel s, String node) throws Exception {
    List<Cut> cuts = CutEnumerator.enumerate(OnnxModels.read(s.model())).cuts();
    for (int i = 0; i < cuts.size(); i++) {
      if (List.of(node).equals(cuts.get(i).frontier())) {
        return i;
      }
    }
    throw new AssertionError("no cut after " + node);
  }
}
