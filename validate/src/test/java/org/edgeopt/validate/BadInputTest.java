package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validations that cannot run end in one clear line with exit code 3, never in a report. */
class BadInputTest {
  @TempDir static Path dir;
  static Path three;
  static Path threeShifted;
  static Path holdout;

  @BeforeAll
  static void models() throws Exception {
    three = dir.resolve("three.onnx");
    threeShifted = dir.resolve("three-shifted.onnx");
    OnnxModels.write(TestData.identity(3), three);
    OnnxModels.write(TestData.shifted(new float[] {0, 0, 1}), threeShifted);
    holdout =
        TestData.writeCsv(
            dir.resolve("ok.csv"), ValidatorMetricsTest.X, ValidatorMetricsTest.LABELS);
  }

  private static EdgeoptException fails(ValidationConfig c) {
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> Validator.validate(c.withLatency(0, 0)));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode(), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e;
  }

  /** Issue 14 (fuzz corpus): a candidate without graph outputs was an ArrayIndexOutOfBoundsException (exit 1). */
  @Test
  void candidateWithNoGraphOutputs() throws Exception {
    ai.onnx.proto.OnnxMl.ModelProto.Builder m =
        ai.onnx.proto.OnnxMl.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(threeShifted))
            .toBuilder();
    m.getGraphBuilder().clearOutput();
    Path noOutputs = dir.resolve("no-outputs.onnx");
    java.nio.file.Files.write(noOutputs, m.build().toByteArray());
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Validator.validate(
                    ValidationConfig.of(three, noOutputs, holdout).withLatency(0, 0)));
    assertTrue(e.exitCode() == ExitCode.INVALID_INPUT, e.exitCode() + ": " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void holdoutWithClassesTheModelCannotOutput() throws Exception {
    Path csv =
        TestData.writeCsv(
            dir.resolve("five.csv"), ValidatorMetricsTest.X, new int[] {0, 1, 5, 2, 1, 1});
    EdgeoptException e = fails(ValidationConfig.of(three, threeShifted, csv));
    assertEquals(
        csv
            + ": sample 2 has label 5, which is not a class the model can output (expected 0..2 for its 3 classes)",
        e.getMessage());
  }

  @Test
  void classNamesThatDoNotFitTheOutput() {
    EdgeoptException e =
        fails(ValidationConfig.of(three, threeShifted, holdout).withClassNames(List.of("a", "b")));
    assertTrue(
        e.getMessage().contains("2 class names were given but the model outputs 3 classes"),
        e.getMessage());
  }

  @Test
  void mismatchedInputShape() throws Exception {
    float[][] four = {{1, 2, 3, 4}, {4, 3, 2, 1}};
    Path csv = TestData.writeCsv(dir.resolve("four.csv"), four, new int[] {0, 1});
    EdgeoptException e = fails(ValidationConfig.of(three, threeShifted, csv));
    assertEquals(
        three
            + ": input 'x' expects float[-1, 3] but the holdout "
            + csv
            + " gives samples of [4]: expected the sample shape to match the input without its"
            + " batch dimension, size-1 dimensions aside (check --preprocess)",
        e.getMessage());
  }

  @Test
  void referenceAndCandidateOutputsDiffer() throws Exception {
    Path identity4 = dir.resolve("identity4.onnx");
    OnnxModels.write(TestData.identity(4), identity4);
    // The candidate maps the same four features to two outputs.
    GraphBuilder b = new GraphBuilder("two_outputs", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, -1, 4)));
    b.addInitializer(Tensor.ofFloats("w", new long[] {4, 2}, new float[8]));
    b.add("MatMul", "mm", List.of("x", "w"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, -1, 2)));
    Path twoOut = dir.resolve("two-out.onnx");
    OnnxModels.write(b.build(), twoOut);
    Path csv =
        TestData.writeCsv(
            dir.resolve("four-features.csv"), new float[][] {{1, 2, 3, 4}}, new int[] {0});
    EdgeoptException e = fails(ValidationConfig.of(identity4, twoOut, csv));
    assertEquals(
        "the candidate's output has 2 values for a batch of 1 samples, the reference's 4: expected the same "
            + "number per sample",
        e.getMessage());
  }

  @Test
  void emptyFolder() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    EdgeoptException e = fails(ValidationConfig.of(three, threeShifted, empty));
    assertTrue(e.getMessage().startsWith(empty + ": the data folder is empty"), e.getMessage());
  }

  @Test
  void missingOrBrokenModels() throws Exception {
    Path missing = dir.resolve("missing.onnx");
    assertEquals(
        missing + ": candidate model not found: expected a model file",
        fails(ValidationConfig.of(three, missing, holdout)).getMessage());
    Path broken = dir.resolve("broken.onnx");
    Files.writeString(broken, "not a model");
    EdgeoptException e = fails(ValidationConfig.of(three, broken, holdout));
    // The candidate is read first, to decide whose INT8 arithmetic it runs with.
    assertTrue(e.getMessage().startsWith(broken + ": not a valid ONNX model"), e.getMessage());
    Path unknown = dir.resolve("model.bin");
    Files.writeString(unknown, "?");
    assertTrue(
        fails(ValidationConfig.of(three, unknown, holdout))
            .getMessage()
            .contains("no runtime for this kind of file"));
  }

  @Test
  void missingHoldoutAndBadPreprocessing() {
    Path nowhere = dir.resolve("nowhere");
    assertEquals(
        nowhere + ": holdout data not found",
        fails(ValidationConfig.of(three, threeShifted, nowhere)).getMessage());
    assertTrue(
        fails(ValidationConfig.of(three, threeShifted, holdout).withPreprocess("scale=abc"))
            .getMessage()
            .contains("'scale' expects a number, found 'abc'"));
  }

  @Test
  void thresholdsThatCannotBeChecked() {
    EdgeoptException latency =
        assertThrows(
            EdgeoptException.class,
            () ->
                Validator.validate(
                    ValidationConfig.of(three, threeShifted, holdout)
                        .withThresholds(Thresholds.none().withMaxP95LatencyMs(5.0))
                        .withLatency(0, 0)));
    assertTrue(
        latency.getMessage().contains("needs latency runs, but 0 were asked for"),
        latency.getMessage());
    EdgeoptException regression =
        fails(
            ValidationConfig.of(three, threeShifted, holdout)
                .withTask(ValidationConfig.Task.REGRESSION)
                .withThresholds(Thresholds.defaults()));
    assertTrue(
        regression.getMessage().startsWith("no threshold applies to a regression output"),
        regression.getMessage());
  }

  @Test
  void regressionOutputsAreGatedByTheirTolerance() throws Exception {
    // The candidate adds 1 to one of three outputs: max |error| is exactly 1.
    ValidationConfig c =
        ValidationConfig.of(three, threeShifted, holdout)
            .withTask(ValidationConfig.Task.REGRESSION)
            .withLatency(0, 0);
    ValidationReport pass =
        Validator.validate(c.withThresholds(Thresholds.none().withMaxOutputError(1.0)));
    assertTrue(pass.passed(), pass.gate().toString());
    assertEquals("regression", pass.task());
    assertEquals(null, pass.classification());
    assertEquals(0, pass.outputs().elementsOverTolerance());
    ValidationReport fail =
        Validator.validate(c.withThresholds(Thresholds.none().withMaxOutputError(0.5)));
    assertFalse(fail.passed());
    assertEquals(
        6, fail.outputs().elementsOverTolerance(), "one value per sample is off by 1 > 0.5");
    assertEquals(List.of("max output error 1 > max 0.5"), fail.gate().reasons());
  }

  @Test
  void referenceOutputtingNaNIsRefused() throws Exception {
    Path nanRef = dir.resolve("nan-reference.onnx");
    OnnxModels.write(TestData.shifted(new float[] {0, Float.NaN, 0}), nanRef);
    EdgeoptException e = fails(ValidationConfig.of(nanRef, three, holdout));
    assertEquals(
        "the reference's output 'logits' is NaN at value 1 of sample 0 of "
            + holdout
            + ": expected finite outputs from the reference",
        e.getMessage());
  }

  @Test
  void candidateOutputtingInfinityFailsTheGate() throws Exception {
    Path infCand = dir.resolve("inf-candidate.onnx");
    OnnxModels.write(TestData.shifted(new float[] {0, 0, Float.POSITIVE_INFINITY}), infCand);
    // Infinity on the third logit makes every prediction class 2; the top-1 drop alone would pass
    // a generous threshold, the finite-output rule must not.
    ValidationReport r =
        Validator.validate(
            ValidationConfig.of(three, infCand, holdout)
                .withThresholds(Thresholds.none().withMaxTop1DropPoints(100.0))
                .withLatency(0, 0));
    assertFalse(r.passed());
    assertEquals(
        "candidate output 'logits' is Infinity at value 2 of sample 0 (6 values not finite): expected finite "
            + "outputs on every holdout sample",
        r.gate().reasons().get(0));
    assertEquals("finite-outputs", r.gate().checks().get(0).name());
  }

  @Test
  void csvHoldoutWithNaNIsRefused() throws Exception {
    Path csv =
        TestData.writeCsv(
            dir.resolve("nan.csv"), new float[][] {{1, 2, 3}, {1, Float.NaN, 0}}, new int[] {0, 1});
    EdgeoptException e = fails(ValidationConfig.of(three, threeShifted, csv));
    assertEquals(
        csv
            + ": sample 1 holds NaN at value 1 (after preprocessing): expected finite numbers in the holdout",
        e.getMessage());
  }

  @Test
  void csvHoldoutWithInfinityIsRefused() throws Exception {
    Path csv =
        TestData.writeCsv(
            dir.resolve("inf.csv"), new float[][] {{Float.NEGATIVE_INFINITY, 2, 3}}, new int[] {0});
    EdgeoptException e = fails(ValidationConfig.of(three, threeShifted, csv));
    assertTrue(e.getMessage().contains("sample 0 holds -Infinity at value 0"), e.getMessage());
  }

  @Test
  void modelWithNoInputsIsRefused() throws Exception {
    GraphBuilder b = new GraphBuilder("no_inputs", 13);
    b.addInitializer(Tensor.ofFloats("w", new long[] {1, 3}, new float[] {1, 2, 3}));
    b.add("Identity", "copy", List.of("w"), List.of("logits"));
    b.addOutput(new Value("logits", TensorType.of(DataType.FLOAT, 1, 3)));
    Path p = dir.resolve("no-inputs.onnx");
    OnnxModels.write(b.build(), p);
    assertEquals(
        p + ": the model has no tensor inputs: expected one input that takes the holdout",
        fails(ValidationConfig.of(three, p, holdout)).getMessage());
  }

  @Test
  void modelWithNoOutputsIsRefused() throws Exception {
    GraphBuilder b = new GraphBuilder("no_outputs", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, -1, 3)));
    b.add("Identity", "copy", List.of("x"), List.of("logits"));
    Path p = dir.resolve("no-outputs.onnx");
    OnnxModels.write(b.build(), p);
    EdgeoptException e = fails(ValidationConfig.of(p, three, holdout));
    assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
  }

  @Test
  void modelWithStringOutputsIsRefused() throws Exception {
    GraphBuilder b = new GraphBuilder("strings", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, -1, 3)));
    b.add(
        "Cast",
        "to_text",
        List.of("x"),
        List.of("logits"),
        org.edgeopt.core.graph.Attribute.of("to", 8L));
    b.addOutput(new Value("logits", TensorType.of(DataType.STRING, -1, 3)));
    Path p = dir.resolve("strings.onnx");
    OnnxModels.write(b.build(), p);
    EdgeoptException e = fails(ValidationConfig.of(three, p, holdout));
    assertEquals(
        p
            + ": output 'logits' holds string values: expected a numeric tensor (float, integer or bool)",
        e.getMessage());
  }
}
