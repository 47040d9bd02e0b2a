package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The clipped weight range against a channel whose best range is computed by hand. */
class WeightClipSearchTest {

  @Test
  void clipsTheLargestWeightWhenThatRoundsTheRestFinerByHand() {
    // qmax 1 (three levels). Full range 1: q = {1, 0, 0, 0}, error 3 x 0.4^2 = 0.48. Range r
    // below 0.8 rounds the three 0.4s up to r: error (1 - r)^2 + 3 (r - 0.4)^2, least at
    // r = (1 + 3 x 0.4) / 4 = 0.55 (error 0.27), a candidate of the grid (1 - 45 x 0.01).
    float[] w = {1f, 0.4f, 0.4f, 0.4f};
    float r = WeightClipSearch.bestRange(w, 1, 1, 4, 0, 1f, 1);
    assertEquals(0.55f, r, 1e-6f);
    assertEquals(0.27, WeightClipSearch.error(w, 1, 1, 4, 0, r, 1), 1e-6);
    assertEquals(0.48, WeightClipSearch.error(w, 1, 1, 4, 0, 1f, 1), 1e-6);
  }

  @Test
  void aChannelOnItsGridKeepsItsFullRange() {
    // Multiples of 0.125 with qmax 4: the full range reproduces them exactly (error 0).
    float[] w = {0.5f, -0.25f, 0.125f, 0.375f, -0.5f};
    assertEquals(0.5f, WeightClipSearch.bestRange(w, 1, 1, 5, 0, 0.5f, 4));
  }

  @Test
  void perChannelQuantizationUsesTheSearchedRangeOnlyWhenAsked() throws Exception {
    // Channel 0 as in the first test (qmax 1); channel 1 on its grid. Channels along axis 0.
    float[] w = {1f, 0.4f, 0.4f, 0.4f, 0.5f, -0.5f, 0f, 0.5f};
    WeightQuantizer.QuantizedWeights plain =
        WeightQuantizer.perChannel(w, new long[] {2, 4}, 0, 1, false, "test");
    WeightQuantizer.QuantizedWeights clipped =
        WeightQuantizer.perChannel(w, new long[] {2, 4}, 0, 1, true, "test");
    assertArrayEquals(new float[] {1f, 0.5f}, plain.params().scales());
    assertArrayEquals(new byte[] {1, 0, 0, 0, 1, -1, 0, 1}, plain.values());
    assertArrayEquals(new float[] {0.55f, 0.5f}, clipped.params().scales(), 1e-6f);
    assertArrayEquals(new byte[] {1, 1, 1, 1, 1, -1, 0, 1}, clipped.values());
  }
}
