package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.edgeopt.core.graph.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A candidate whose Softmax output was rounded to 8 bits (steps of 1/256, so its rows sum to 1
 * only within about classes/512) is still read as probabilities when its reference's are: before,
 * the row failed the 1e-3 sum test, was read as logits and put through Softmax again, and the
 * trained_lstm_int8.tflite reference pair's mean confidence fell from 0.95 to 0.22.
 */
class QuantizedSoftmaxConfidenceTest {
  @Test
  void aRoundedSoftmaxRowReadsAsProbabilitiesWhenTheReferencesDoes() throws Exception {
    float[] ref = {0.90f, 0.05f, 0.03f, 0.02f};
    // The same distribution in steps of 1/256, each class rounded: 258/256 in all.
    float[] cand = {231 / 256f, 13 / 256f, 8 / 256f, 6 / 256f};
    float sum = 0;
    for (float v : cand) {
      sum += v;
    }
    assertTrue(Math.abs(sum - 1) > 1e-3, "the test's premise: " + sum);
    DriftAccumulator d = new DriftAccumulator(true, List.of(), null, "holdout");
    d.add(
        new int[] {0},
        Tensor.ofFloats("r", new long[] {1, 4}, ref),
        Tensor.ofFloats("c", new long[] {1, 4}, cand));
    ValidationReport.Confidence c = d.confidence();
    assertEquals(0.90, c.reference().mean(), 1e-6);
    assertEquals(231 / 256.0, c.candidate().mean(), 1e-6, "the rounded probability, not a Softmax");
    assertEquals("output", c.source(), "both read as the models give them");
  }
}
