package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.edgeopt.validate.LayerDiagnosis;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code edgeopt validate} end to end: the summary, the report files and every exit code, on a tiny
 * hand-made classifier and on the Fashion-MNIST sample against INT8 candidates made here.
 */
class ValidateCommandTest {
  @TempDir static Path dir;
  static Path reference;
  static Path candidate;
  static Path holdout;

  @BeforeAll
  static void tinyClassifier() throws Exception {
    // Six samples of three classes; the reference's logits are its input, the candidate adds 1.5 to
    // the third logit: both get 4 of 6 right (no top-1 drop) and agree on 4 of 6 (66.67%).
    reference = dir.resolve("reference.onnx");
    candidate = dir.resolve("candidate.onnx");
    OnnxModels.write(linear("identity", null), reference);
    OnnxModels.write(linear("shifted", new float[] {0, 0, 1.5f}), candidate);
    holdout = csv("holdout.csv", new int[] {0, 1, 2, 2, 1, 1});
  }

  private static Path csv(String name, int[] labels) throws Exception {
    float[][] x = {{2, 1, 0}, {0, 3, 1}, {1, 0, 2}, {2, 0, 1}, {0, 1, 0.5f}, {3, 0, 0}};
    StringBuilder sb = new StringBuilder("f0,f1,f2,label\n");
    for (int i = 0; i < x.length; i++) {
      sb.append(x[i][0])
          .append(',')
          .append(x[i][1])
          .append(',')
          .append(x[i][2])
          .append(',')
          .append(labels[i])
          .append('\n');
    }
    return Files.writeString(dir.resolve(name), sb.toString());
  }

  private static Graph linear(String name, float[] bias) {
    TensorType rows =
        new TensorType(
            DataType.FLOAT, new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(3, null))));
    GraphBuilder b = new GraphBuilder(name, 13);
    b.addInput(new Value("x", rows));
    if (bias == null) {
      b.add("Identity", "copy", List.of("x"), List.of("logits"));
    } else {
      b.addInitializer(Tensor.ofFloats("bias", new long[] {3}, bias));
      b.add("Add", "shift", List.of("x", "bias"), List.of("logits"));
    }
    b.addOutput(new Value("logits", rows));
    return b.build();
  }

  private static String[] args(String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "validate",
                "-q",
                "--reference",
                reference.toString(),
                "--candidate",
                candidate.toString(),
                "--holdout",
                holdout.toString(),
                "--latency-runs",
                "3",
                "--warmup-runs",
                "1"));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void passExitsZeroWithTheSummary() {
    Run r = edgeopt(args("--max-top1-drop", "0", "--classes", "zero,one,two"));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(
        r.out()
            .startsWith(
                "PASS  candidate.onnx vs reference.onnx on 6 holdout samples (classification, 3 classes)"),
        r.out());
    assertTrue(
        r.out().contains("top-1       reference 66.67%  candidate 66.67%  drop 0.00 points"),
        r.out());
    assertTrue(r.out().contains("ok   top-1 drop 0.00 points <= max 0.00 points"), r.out());
    assertEquals("", r.err(), "-q prints no progress");
  }

  @Test
  void failedGateExitsFourAndWritesTheReports() throws Exception {
    Path report = dir.resolve("report-fail");
    Run r = edgeopt(args("--min-agreement", "70", "--report", report.toString()));
    assertEquals(4, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("FAIL"), r.out());
    assertTrue(r.out().contains("FAIL agreement 66.67% < min 70.00%"), r.out());
    for (String f : List.of("report.json", "junit.xml", "report.html")) {
      assertTrue(Files.isRegularFile(report.resolve(f)), f);
    }
    assertTrue(Files.readString(report.resolve("junit.xml")).contains("failures=\"1\""));
    assertTrue(Files.readString(report.resolve("report.html")).contains("data-verdict=\"FAIL\""));
  }

  @Test
  void progressIsShownWithoutQuiet() {
    List<String> a = new ArrayList<>(List.of(args("--max-top1-drop", "0")));
    a.remove("-q");
    Run r = edgeopt(a.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("Holdout"), "a progress bar on stderr: " + r.err());
  }

  @Test
  void holdoutLabelsTheModelCannotOutputExitThree() throws Exception {
    Path bad = csv("bad-labels.csv", new int[] {0, 1, 5, 2, 1, 1});
    List<String> a = new ArrayList<>(List.of(args()));
    a.set(a.indexOf(holdout.toString()), bad.toString());
    Run r = edgeopt(a.toArray(String[]::new));
    assertEquals(3, r.exitCode());
    assertEquals(
        "edgeopt: "
            + bad
            + ": sample 2 has label 5, which is not a class the model can output "
            + "(expected 0..2 for its 3 classes)",
        r.err().strip());
    assertEquals("", r.out(), "a validation that could not run prints no verdict");
  }

  @Test
  void emptyFolderAndShapeMismatchExitThree() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    List<String> a = new ArrayList<>(List.of(args()));
    a.set(a.indexOf(holdout.toString()), empty.toString());
    Run r = edgeopt(a.toArray(String[]::new));
    assertEquals(3, r.exitCode());
    assertTrue(r.err().startsWith("edgeopt: " + empty + ": the data folder is empty"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());

    Path wide = Files.writeString(dir.resolve("wide.csv"), "a,b,c,d,label\n1,2,3,4,0\n");
    a.set(a.indexOf(empty.toString()), wide.toString());
    Run m = edgeopt(a.toArray(String[]::new));
    assertEquals(3, m.exitCode());
    assertTrue(
        m.err()
            .contains(
                "input 'x' expects float[-1, 3] but the holdout " + wide + " gives samples of [4]"),
        m.err());
  }

  @Test
  void usageErrorsExitTwo() {
    Run noHoldout =
        edgeopt(
            "validate",
            "-q",
            "--reference",
            reference.toString(),
            "--candidate",
            candidate.toString());
    assertEquals(2, noHoldout.exitCode());
    assertTrue(
        noHoldout
            .err()
            .contains(
                "--holdout is required: the reference " + reference + " is not a sample model"),
        noHoldout.err());
    Run badTask = edgeopt(args("--task", "segmentation"));
    assertEquals(2, badTask.exitCode());
    Run negative = edgeopt(args("--max-top1-drop", "-1"));
    assertEquals(2, negative.exitCode());
    assertTrue(
        negative.err().contains("max top-1 drop must be a finite number >= 0, was -1.0"),
        negative.err());
  }

  @Test
  void fashionMnistInt8PassesAndADamagedLayerFailsTheGate() throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    Graph fp32 = OnnxModels.read(sample.model());
    Path int8 = dir.resolve("fashion-mnist.int8.onnx");
    OnnxModels.write(weightQdq(fp32, null, 1f), int8);
    // The stem convolution: every later layer reads what it computes.
    String damagedLayer =
        fp32.nodes().stream()
            .filter(n -> n.opType().equals("Conv"))
            .findFirst()
            .orElseThrow()
            .name();
    Path damaged = dir.resolve("fashion-mnist.damaged.onnx");
    OnnxModels.write(weightQdq(fp32, damagedLayer, 16f), damaged);

    // The holdout, preprocessing and class names come from the sample's sample.json.
    Path report = dir.resolve("fashion-report");
    Run pass =
        edgeopt(
            "validate",
            "-q",
            "--reference",
            sample.model().toString(),
            "--candidate",
            int8.toString(),
            "--max-top1-drop",
            "1.0",
            "--min-agreement",
            "97",
            "--latency-runs",
            "20",
            "--report",
            report.toString());
    assertEquals(0, pass.exitCode(), pass.out() + pass.err());
    assertTrue(
        pass.out()
            .contains(
                "on " + sample.holdout().count() + " holdout samples (classification, 10 classes)"),
        pass.out());

    Run fail =
        edgeopt(
            "validate",
            "-q",
            "--reference",
            sample.model().toString(),
            "--candidate",
            damaged.toString(),
            "--max-top1-drop",
            "0",
            "--latency-runs",
            "0");
    assertEquals(4, fail.exitCode(), fail.out() + fail.err());
    assertTrue(
        fail.out().contains("layers      exclude Conv '" + damagedLayer + "' first"), fail.out());
    assertTrue(fail.out().contains("FAIL top-1 drop"), fail.out());
  }

  @Test
  void quantizersOwnOutputIsDiagnosedLayerByLayer() throws Exception {
    // edgeopt calibrate + quantize on the sample: fused Conv+Clip layers, per-channel weights,
    // uint8
    // activations. Every layer must match its FP32 counterpart and be measured on its own.
    SampleModel sample = SampleModels.fashionMnist();
    Path calibration = dir.resolve("calibration.json");
    Path int8 = dir.resolve("quantized.int8.onnx");
    Run cal =
        edgeopt(
            "calibrate",
            "-q",
            sample.model().toString(),
            "--data",
            sample.calibration().images().toString(),
            "--preprocess",
            sample.preprocess(),
            "-o",
            calibration.toString());
    assertEquals(0, cal.exitCode(), cal.err());
    Run q =
        edgeopt(
            "quantize",
            "-q",
            sample.model().toString(),
            "-c",
            calibration.toString(),
            "-o",
            int8.toString());
    assertEquals(0, q.exitCode(), q.err());
    Path report = dir.resolve("quantized-report");
    Run v =
        edgeopt(
            "validate",
            "-q",
            "--reference",
            sample.model().toString(),
            "--candidate",
            int8.toString(),
            "--max-top1-drop",
            "1.0",
            "--min-agreement",
            "97",
            "--latency-runs",
            "0",
            "--report",
            report.toString());
    assertEquals(0, v.exitCode(), v.out() + v.err());
    ValidationReport r = ReportWriter.readJson(report.resolve(ReportWriter.JSON));
    List<LayerDiagnosis.LayerError> reduced =
        r.diagnosis().layers().stream()
            .filter(LayerDiagnosis.LayerError::reducedPrecision)
            .toList();
    assertTrue(reduced.size() >= 20, r.diagnosis().reason());
    for (LayerDiagnosis.LayerError e : reduced) {
      assertEquals("node name", e.matchedBy(), e.toString());
      assertEquals("isolated", e.addedBy(), e.toString());
      assertTrue(e.addedSqnrDb() > LayerDiagnosis.HEALTHY_SQNR_DB, e.toString());
    }
  }

  /**
   * Int8 weight QDQ on every Conv and Gemm, one scale per output channel (channel absmax / 127), as a
   * post-training quantizer makes them; {@code damaged}'s scales are multiplied by {@code factor}.
   */
  static Graph weightQdq(Graph g, String damaged, float factor) {
    GraphBuilder b = g.toBuilder();
    for (Node n : g.nodes()) {
      Tensor w = g.initializers().get(n.input(1));
      if (!(n.opType().equals("Conv") || n.opType().equals("Gemm")) || w == null) {
        continue;
      }
      // Conv weights are [out, in, kh, kw]; the sample's Gemm has transB=1, so [out, in] too.
      int channels = (int) w.dim(0);
      float[] v = w.toFloats();
      int per = v.length / channels;
      float[] scales = new float[channels];
      for (int c = 0; c < channels; c++) {
        float absMax = 0;
        for (int i = 0; i < per; i++) {
          absMax = Math.max(absMax, Math.abs(v[c * per + i]));
        }
        scales[c] = (absMax > 0 ? absMax / 127f : 1f) * (n.name().equals(damaged) ? factor : 1f);
      }
      String s = b.uniqueName(w.name() + "_scale");
      String z = b.uniqueName(w.name() + "_zero_point");
      b.addInitializer(Tensor.ofFloats(s, new long[] {channels}, scales));
      b.addInitializer(Tensor.ofBytes(z, DataType.INT8, new long[] {channels}, new byte[channels]));
      Attribute axis = Attribute.of("axis", 0L);
      String q =
          b.add(
              "QuantizeLinear",
              b.uniqueName(w.name() + "_QuantizeLinear"),
              List.of(w.name(), s, z),
              List.of(b.uniqueName(w.name() + "_quantized")),
              axis);
      String dq =
          b.add(
              "DequantizeLinear",
              b.uniqueName(w.name() + "_DequantizeLinear"),
              List.of(q, s, z),
              List.of(b.uniqueName(w.name() + "_dequantized")),
              axis);
      List<String> in = new ArrayList<>(n.inputs());
      in.set(1, dq);
      b.replaceNode(n.withInputs(in));
    }
    return b.build();
  }

  @Test
  void tfliteInt8AgainstItsFloatTwinIsGatedByOutputError() throws Exception {
    // Google's sine-regression pair, run by the TFLite target's interpreter through the
    // RuntimeProvider plug-in.
    Optional<Path> ref = SharedModels.find("tflite-reference/hello_world_float.tflite");
    Optional<Path> int8 = SharedModels.find("tflite-reference/hello_world_int8.tflite");
    assumeTrue(
        ref.isPresent() && int8.isPresent(),
        SharedModels.missingReason("tflite-reference/hello_world_int8.tflite"));
    StringBuilder csv = new StringBuilder("x,label\n");
    for (int i = 0; i < 200; i++) {
      csv.append((float) (2 * Math.PI * i / 200)).append(",0\n");
    }
    Path sine = Files.writeString(dir.resolve("sine.csv"), csv.toString());
    String[] base = {
      "validate",
      "-q",
      "--reference",
      ref.get().toString(),
      "--candidate",
      int8.get().toString(),
      "--holdout",
      sine.toString(),
      "--task",
      "regression",
      "--latency-runs",
      "5"
    };
    Run pass = edgeopt(concat(base, "--max-output-error", "0.15"));
    assertEquals(0, pass.exitCode(), pass.out() + pass.err());
    assertTrue(
        pass.out()
            .startsWith(
                "PASS  hello_world_int8.tflite vs hello_world_float.tflite on 200 holdout samples "
                    + "(regression)"),
        pass.out());
    assertTrue(pass.out().contains("per-layer diagnosis did not run"), pass.out());
    // int8 steps of a sine in [-1, 1]: the largest error is about 0.11
    Run fail = edgeopt(concat(base, "--max-output-error", "0.05"));
    assertEquals(4, fail.exitCode(), fail.out() + fail.err());
    assertTrue(fail.out().contains("FAIL max output error"), fail.out());
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }

  @Test
  void helpListsTheExitCodes() {
    Run r = edgeopt("validate", "--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("4  the gate failed"), r.out());
    assertFalse(r.out().contains("TODO"));
  }

  @Test
  void candidateWithNaNOutputsExitsWith4AndWritesTheReport() throws Exception {
    Path nanCandidate = dir.resolve("nan-candidate.onnx");
    OnnxModels.write(linear("nan", new float[] {0, Float.NaN, 0}), nanCandidate);
    Path report = dir.resolve("nan-report");
    Run r =
        edgeopt(
            "validate",
            "-q",
            "--reference",
            reference.toString(),
            "--candidate",
            nanCandidate.toString(),
            "--holdout",
            holdout.toString(),
            "--latency-runs",
            "0",
            "--max-top1-drop",
            "100",
            "--report",
            report.toString());
    assertEquals(4, r.exitCode(), r.err());
    assertTrue(
        r.out().contains("candidate output 'logits' is NaN at value 1 of sample 0"), r.out());
    assertTrue(Files.isRegularFile(report.resolve(ReportWriter.HTML)));
    assertTrue(Files.readString(report.resolve(ReportWriter.JSON)).contains("finite-outputs"));
  }

  @Test
  void referenceWithNaNOutputsExitsWith3() throws Exception {
    Path nanReference = dir.resolve("nan-reference.onnx");
    OnnxModels.write(linear("nan", new float[] {Float.NaN, 0, 0}), nanReference);
    Run r =
        edgeopt(
            "validate",
            "-q",
            "--reference",
            nanReference.toString(),
            "--candidate",
            candidate.toString(),
            "--holdout",
            holdout.toString(),
            "--latency-runs",
            "0");
    assertEquals(3, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(
        r.err().contains("the reference's output 'logits' is NaN at value 0 of sample 0"), r.err());
  }
}
