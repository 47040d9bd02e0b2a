package org.edgeopt.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairSaturationTest {

  @Test
  void fullRangeWeightsAtMaximalActivationsClampOnTheAvx2RuleAndNotOnTheExactOne() {
    int[] a = new int[8];
    int[] w = new int[8];
    Arrays.fill(a, 255);
    Arrays.fill(w, 127);
    // Each pair is 2 x 255 x 127 = 64,770, clamped to 32,767: half the true sum, and some.
    assertEquals(8 * 255 * 127, PairSaturation.dotExact(a, w));
    assertEquals(4 * 32_767, PairSaturation.dotSaturatingPairs(a, w));
    Arrays.fill(w, -128);
    assertEquals(4 * -32_768, PairSaturation.dotSaturatingPairs(a, w));
  }

  @Test
  void portableWeightsNeverClampWhateverTheActivations() {
    assertEquals(64, PairSaturation.PORTABLE_WEIGHT_MAX);
    assertEquals(32_640, PairSaturation.worstCasePairSum(64));
    assertFalse(PairSaturation.canSaturate(64));
    assertTrue(PairSaturation.canSaturate(65));
    Random r = new Random(7);
    for (int trial = 0; trial < 2_000; trial++) {
      int n = 1 + r.nextInt(40);
      int[] a = new int[n];
      int[] w = new int[n];
      for (int i = 0; i < n; i++) {
        a[i] = trial % 3 == 0 ? 255 : r.nextInt(256);
        w[i] = (trial % 2 == 0 ? 64 : r.nextInt(129) - 64) * (r.nextBoolean() ? 1 : -1);
      }
      assertEquals(
          PairSaturation.dotExact(a, w), PairSaturation.dotSaturatingPairs(a, w), "trial " + trial);
    }
  }

  @Test
  void anOddTailPairsWithZero() {
    assertEquals(
        255 * 127 + 32_767,
        PairSaturation.dotSaturatingPairs(new int[] {255, 255, 255}, new int[] {127, 127, 127}));
  }

  @Test
  void valuesOutsideTheIntegerTypesAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> PairSaturation.dotExact(new int[] {256}, new int[] {1}));
    assertThrows(
        IllegalArgumentException.class,
        () -> PairSaturation.dotExact(new int[] {1}, new int[] {128}));
    assertThrows(
        IllegalArgumentException.class,
        () -> PairSaturation.dotExact(new int[] {1, 2}, new int[] {1}));
  }
}
