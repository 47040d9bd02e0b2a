package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each drift formula against values worked out by hand. */
class DriftMetricsTest {
  private static final double EPS = 1e-9;

  @Test
  void softmaxOfSmallRowMatchesHandValues() {
    // e^0, e^1, e^2 over their sum 1 + e + e^2 = 11.107337927389695
    double sum = 1 + Math.E + Math.E * Math.E;
    assertArrayEquals(
        new double[] {1 / sum, Math.E / sum, Math.E * Math.E / sum},
        DriftMetrics.softmax(new float[] {9, 0, 1, 2}, 1, 3),
        EPS);
    // Large logits must not overflow: subtracting the maximum keeps exp() finite.
    assertArrayEquals(
        new double[] {0.5, 0.5}, DriftMetrics.softmax(new float[] {1000, 1000}, 0, 2), EPS);
  }

  @Test
  void topKCountsOnlyStrictlyBetterOrEarlierTies() {
    float[] v = {0.1f, 0.5f, 0.3f, 0.9f, 0.2f, 0.0f, 0.4f};
    // label 2 (0.3) is beaten by 0.5, 0.9 and 0.4: rank 4
    assertFalse(DriftMetrics.inTopK(v, 0, 7, 2, 3));
    assertTrue(DriftMetrics.inTopK(v, 0, 7, 2, 4));
    assertTrue(DriftMetrics.inTopK(v, 0, 7, 2, 5));
    // label 5 (0.0) is last of 7
    assertFalse(DriftMetrics.inTopK(v, 0, 7, 5, 5));
    assertTrue(DriftMetrics.inTopK(v, 0, 7, 3, 1));
    // a tie goes to the lower index, as argmax does
    assertTrue(DriftMetrics.inTopK(new float[] {1, 1}, 0, 2, 0, 1));
    assertFalse(DriftMetrics.inTopK(new float[] {1, 1}, 0, 2, 1, 1));
  }

  @Test
  void cosineAndSqnrMatchHandValues() {
    // [3,4] vs [4,3]: dot 24, norms 5 and 5 -> 0.96
    assertEquals(0.96, DriftMetrics.cosine(new float[] {3, 4}, new float[] {4, 3}), EPS);
    assertEquals(0.0, DriftMetrics.cosine(new float[] {1, 0}, new float[] {0, 1}), EPS);
    assertEquals(1.0, DriftMetrics.cosine(new float[] {0, 0}, new float[] {0, 0}), EPS);
    // signal 1 + 4 = 5, noise (2 - 1)^2 = 1 -> 10 log10 5 = 6.9897 dB
    assertEquals(
        10 * Math.log10(5), DriftMetrics.sqnrDb(new float[] {1, 2}, new float[] {1, 1}), EPS);
    assertEquals(
        DriftMetrics.MAX_SQNR_DB, DriftMetrics.sqnrDb(new float[] {1, 2}, new float[] {1, 2}), EPS);
    assertEquals(
        0.0, DriftMetrics.cosine(1, 1, Double.NaN), EPS, "NaN outputs are unrelated, not equal");
  }

  @Test
  void addedSqnrSubtractsNoisePowers() {
    // output at 20 dB (noise ratio 0.01), input at 30 dB (0.001): the layer adds 0.009 -> 20.4576
    // dB
    assertEquals(-10 * Math.log10(0.009), DriftMetrics.addedSqnrDb(20, 30), 1e-9);
    assertEquals(
        DriftMetrics.MAX_SQNR_DB,
        DriftMetrics.addedSqnrDb(30, 20),
        EPS,
        "a layer that removes noise adds none");
    assertEquals(0.001, DriftMetrics.noiseRatio(30), 1e-15);
  }

  @Test
  void nearestRankPercentiles() {
    double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertEquals(5, DriftMetrics.percentile(v, 50));
    assertEquals(10, DriftMetrics.percentile(v, 95));
    assertEquals(10, DriftMetrics.percentile(v, 99));
    assertEquals(1, DriftMetrics.percentile(v, 10));
    assertEquals(2, DriftMetrics.percentile(v, 10.1));
    assertThrows(IllegalArgumentException.class, () -> DriftMetrics.percentile(new double[0], 50));
  }

  @Test
  void binsAndProbabilityRows() {
    assertEquals(0, DriftMetrics.bin(0.0, 20));
    assertEquals(9, DriftMetrics.bin(0.49, 20));
    assertEquals(10, DriftMetrics.bin(0.5, 20));
    assertEquals(19, DriftMetrics.bin(1.0, 20));
    assertTrue(DriftMetrics.isProbabilityRow(new float[] {0.25f, 0.75f}, 0, 2));
    assertFalse(DriftMetrics.isProbabilityRow(new float[] {2f, -1f}, 0, 2));
    assertFalse(DriftMetrics.isProbabilityRow(new float[] {0.2f, 0.2f}, 0, 2));
  }
}
