package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScoresTest {
  @Test
  void aQuantizedSoftmaxIsReadAsItIsOnceTheModelIsKnownToGiveProbabilities() {
    // An 8-bit Softmax output (steps of 1/256): 0.902 for the top class, the small ones rounded,
    // the row summing to 258/256. Read per row it fails the sum test and goes through Softmax
    // again, which flattens it to a confidence of 0.39.
    float[] rounded = {231 / 256f, 13 / 256f, 8 / 256f, 6 / 256f};
    assertTrue(Scores.probabilityOutput(rounded));
    Scores.Prediction asIs = Scores.of(rounded, 0, 4, true);
    assertEquals(0, asIs.predicted());
    assertEquals(231 / 256.0, asIs.confidence(), 1e-6);
    assertEquals((231 - 13) / 256.0, asIs.margin(), 1e-6);
    assertTrue(Scores.of(rounded, 0, 4).confidence() < 0.5, "the per-row reading it replaces");
  }

  @Test
  void logitsAreNotProbabilities() {
    float[] logits = {2.5f, -1f, 0.3f, 0.1f};
    assertFalse(Scores.probabilityOutput(logits));
    Scores.Prediction p = Scores.of(logits, 0, 4, false);
    assertEquals(0, p.predicted());
    assertEquals(Scores.of(logits, 0, 4).confidence(), p.confidence(), 1e-12);
    assertFalse(Scores.probabilityOutput(new float[0]));
  }
}
