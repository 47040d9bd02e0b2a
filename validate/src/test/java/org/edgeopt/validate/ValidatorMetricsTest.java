package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every figure of a validation on a tiny fixed data set whose answers are worked out by hand: six
 * samples of three classes, a reference whose logits are its input and a candidate that adds 1.5
 * to the third logit.
 */
class ValidatorMetricsTest {
  /** The logits of the reference, one row per sample. */
  static final float[][] X = {{2, 1, 0}, {0, 3, 1}, {1, 0, 2}, {2, 0, 1}, {0, 1, 0.5f}, {3, 0, 0}};

  static final int[] LABELS = {0, 1, 2, 2, 1, 1};
  static final float[] SHIFT = {0, 0, 1.5f};

  @TempDir static Path dir;
  static Path reference;
  static Path candidate;
  static Path holdout;
  static ValidationReport report;

  @BeforeAll
  static void validate() throws Exception {
    reference = dir.resolve("reference.onnx");
    candidate = dir.resolve("candidate.onnx");
    OnnxModels.write(TestData.identity(3), reference);
    OnnxModels.write(TestData.shifted(SHIFT), candidate);
    holdout = TestData.writeCsv(dir.resolve("holdout.csv"), X, LABELS);
    report =
        Validator.validate(
            ValidationConfig.of(reference, candidate, holdout)
                .withClassNames(List.of("zero", "one", "two"))
                .withThresholds(new Thresholds(0.0, 70.0, null, null))
                .withBatchSize(4)
                .withLatency(5, 1));
  }

  @Test
  void accuracyAndAgreement() {
    ValidationReport.Classification c = report.classification();
    // reference predicts 0,1,2,0,1,0: right on samples 0,1,2,4
    // candidate logits [2,1,1.5] [0,3,2.5] [1,0,3.5] [2,0,2.5] [0,1,2] [3,0,1.5] predict
    // 0,1,2,2,2,0: right on 0,1,2,3
    assertEquals(6, c.samples());
    assertEquals(3, c.classes());
    assertEquals(4, c.referenceCorrect());
    assertEquals(4, c.candidateCorrect());
    assertEquals(100.0 * 4 / 6, c.referenceTop1(), 1e-9);
    assertEquals(100.0 * 4 / 6, c.candidateTop1(), 1e-9);
    assertEquals(
        0.0,
        c.top1DropPoints(),
        0.0,
        "equal hit counts are no drop at all, not a rounding residue");
    // the predictions agree on samples 0, 1, 2 and 5
    assertEquals(4, c.agreeing());
    assertEquals(100.0 * 4 / 6, c.agreementPercent(), 1e-9);
    // with three classes, top-5 is top-3: every label is in it
    assertEquals(3, c.topK());
    assertEquals(100.0, c.referenceTopK(), 1e-9);
    assertEquals(100.0, c.candidateTopK(), 1e-9);
  }

  @Test
  void perClassAccuracy() {
    List<ValidationReport.ClassAccuracy> pc = report.classification().perClass();
    assertEquals(3, pc.size());
    // class "one" holds samples 1, 4, 5: reference right on 1 and 4, candidate on 1 only
    ValidationReport.ClassAccuracy one = pc.get(1);
    assertEquals("one", one.name());
    assertEquals(3, one.samples());
    assertEquals(2, one.referenceCorrect());
    assertEquals(1, one.candidateCorrect());
    assertEquals(100.0 / 3, one.dropPoints(), 1e-9);
    // class "two" holds samples 2 and 3: reference right on 2, candidate on both: a gain of 50
    // points
    assertEquals(-50.0, pc.get(2).dropPoints(), 1e-9);
    assertEquals(0.0, pc.get(0).dropPoints(), 1e-9);
  }

  @Test
  void outputCosineSqnrAndErrors() {
    ValidationReport.OutputComparison o = report.outputs();
    // sum x^2 = 5 + 10 + 5 + 5 + 1.25 + 9 = 35.25; the error is 1.5 on one logit per sample: 6 *
    // 2.25 = 13.5
    assertEquals(18, o.elements());
    assertEquals(10 * Math.log10(35.25 / 13.5), o.sqnrDb(), 1e-9);
    // x.y = 35.25 + 1.5 * (0+1+2+1+0.5+0) = 42; y.y = 35.25 + 2 * 1.5 * 4.5 + 6 * 2.25 = 62.25
    assertEquals(42 / Math.sqrt(35.25 * 62.25), o.cosine(), 1e-9);
    assertEquals(1.5, o.maxAbsError(), 1e-9);
    assertEquals(9.0 / 18, o.meanAbsError(), 1e-9);
  }

  @Test
  void confidenceDistributions() {
    ValidationReport.Confidence c = report.confidence();
    assertEquals("softmax", c.source());
    assertEquals(20, c.bins());
    double refSum = 0;
    double candSum = 0;
    int[] refHist = new int[20];
    for (float[] row : X) {
      double r = maxSoftmax(row[0], row[1], row[2]);
      double k = maxSoftmax(row[0] + SHIFT[0], row[1] + SHIFT[1], row[2] + SHIFT[2]);
      refSum += r;
      candSum += k;
      refHist[(int) Math.floor(r * 20)]++;
    }
    assertEquals(refSum / 6, c.reference().mean(), 1e-9);
    assertEquals(candSum / 6, c.candidate().mean(), 1e-9);
    assertEquals(candSum / 6 - refSum / 6, c.meanShift(), 1e-9);
    for (int b = 0; b < 20; b++) {
      assertEquals(refHist[b], c.reference().histogram().get(b), "reference bin " + b);
    }
    assertEquals(6, c.candidate().histogram().stream().mapToInt(Integer::intValue).sum());
    // reference right on samples 0, 1, 2, 4
    double correct =
        (maxSoftmax(2, 1, 0) + maxSoftmax(0, 3, 1) + maxSoftmax(1, 0, 2) + maxSoftmax(0, 1, 0.5))
            / 4;
    assertEquals(correct, c.reference().meanWhenCorrect(), 1e-9);
  }

  /** The largest softmax probability of three logits, written out. */
  private static double maxSoftmax(double a, double b, double c) {
    double sum = Math.exp(a) + Math.exp(b) + Math.exp(c);
    return Math.max(Math.exp(a), Math.max(Math.exp(b), Math.exp(c))) / sum;
  }

  @Test
  void gateListsEachThresholdWithItsReason() {
    ValidationReport.GateResult g = report.gate();
    assertEquals(ValidationReport.Verdict.FAIL, g.verdict());
    assertEquals(2, g.checks().size());
    assertTrue(g.checks().get(0).passed(), g.checks().get(0).message());
    assertEquals("top-1 drop 0.00 points <= max 0.00 points", g.checks().get(0).message());
    assertFalse(g.checks().get(1).passed());
    assertEquals(List.of("agreement 66.67% < min 70.00%"), g.reasons());
  }

  @Test
  void latencyAndPipelineAreMeasured() {
    ValidationReport.Latency l = report.latency();
    assertNotNull(l);
    assertEquals(5, l.runs());
    assertEquals(1, l.warmupRuns());
    for (ValidationReport.LatencyStats s : List.of(l.reference(), l.candidate())) {
      assertEquals(5, s.samplesMs().size());
      assertTrue(
          s.minMs() <= s.p50Ms()
              && s.p50Ms() <= s.p95Ms()
              && s.p95Ms() <= s.p99Ms()
              && s.p99Ms() <= s.maxMs(),
          s.toString());
      // nearest rank over 5 runs: p95 and p99 are the slowest run
      assertEquals(s.maxMs(), s.p99Ms(), 1e-3);
      assertEquals(1000 / s.meanMs(), s.throughputPerSecond(), 1e-6);
      assertTrue(s.runtime().startsWith("onnxruntime-"), s.runtime());
    }
    assertEquals(5, report.pipeline().samples());
    assertEquals(
        report.pipeline().preprocessMs()
            + report.pipeline().inferenceMs()
            + report.pipeline().postprocessMs(),
        report.pipeline().totalMs(),
        1e-9);
  }

  @Test
  void provenanceHashesTheInputs() throws Exception {
    ValidationReport.Provenance p = report.provenance();
    assertEquals(Hashes.sha256(reference), p.referenceSha256());
    assertEquals(Hashes.sha256(candidate), p.candidateSha256());
    assertEquals(Hashes.sha256(holdout), p.holdoutSha256());
    assertEquals("edgeopt", p.tool());
    assertEquals(
        70.0, ((java.util.Map<?, ?>) p.config().get("thresholds")).get("minAgreementPercent"));
  }

  @Test
  void diagnosisSaysWhyItDidNotRun() {
    // Identity and Add share no operator, so no layer can be matched.
    assertFalse(report.diagnosis().ran());
    assertTrue(
        report.diagnosis().reason().contains("no layer of the candidate matches"),
        report.diagnosis().reason());
  }
}
