package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorStatisticsTest {
  private static final int HALF = TensorStatistics.BINS / 2;

  private static TensorStatistics of(float... values) {
    TensorStatistics s = TensorStatistics.withHistogram("t");
    assertTrue(s.add(values, values.length, 1));
    return s;
  }

  @Test
  void binsAreFloorOfValueOverWidthPlusHalf() {
    // max |x| = 1.5, so R = 2, w = 2R / 4096 = 1/1024 and bin(x) = floor(1024 x) + 2048.
    TensorStatistics s = of(-1.5f, -0.25f, 0f, 0.25f, 0.5f, 1.0f, 0.0009765625f, -0.0001f);
    assertEquals(2.0, s.histogramLimit());
    assertEquals(1.0 / 1024, s.binWidth());
    long[] h = s.histogram();
    assertEquals(1, h[512]);
    assertEquals(1, h[1792]);
    assertEquals(1, h[2048]);
    assertEquals(1, h[2304]);
    assertEquals(1, h[2560]);
    assertEquals(1, h[3072]);
    assertEquals(1, h[2049], "1/1024 is the lower edge of bin 2049");
    assertEquals(1, h[2047], "a small negative value lands just below zero");
    assertEquals(8, Arrays.stream(h).sum());
    assertEquals(-1.5f, s.min());
    assertEquals(1.0f, s.max());
    assertEquals(8, s.count());
    assertEquals(1, s.samples());
  }

  @Test
  void rangeIsTheSmallestPowerOfTwoAboveTheLargestMagnitude() {
    assertEquals(1.0, of(0.5f).histogramLimit(), "0.5 < 1: R = 1");
    assertEquals(2.0, of(1.0f).histogramLimit(), "R is strictly above max |x|, so 1 needs R = 2");
    assertEquals(256.0, of(-255f, 3f).histogramLimit());
    assertEquals(
        Math.scalb(1.0, -126), of(0f).histogramLimit(), "all zeros keep the smallest range");
    assertEquals(
        Math.scalb(1.0, -126),
        of(Float.MIN_VALUE).histogramLimit(),
        "a subnormal fits below 2^-126");
  }

  @Test
  void growingTheRangeMergesAlignedBins() {
    TensorStatistics s = of(0.75f);
    // R = 1, w = 1/2048: 0.75 is in bin 1536 + 2048.
    assertEquals(1, s.histogram()[3584]);
    assertTrue(s.add(new float[] {3.0f}, 1, 1));
    // R = 4, w = 1/512: old bin 3584 moves to ((3584 - 2048) >> 2) + 2048 = 2432 = floor(0.75 *
    // 512) + 2048.
    long[] h = s.histogram();
    assertEquals(1, h[2432]);
    assertEquals(1, h[3584], "3.0 is in bin floor(3 * 512) + 2048");
    assertEquals(2, Arrays.stream(h).sum());
    TensorStatistics oneBatch = TensorStatistics.withHistogram("t");
    assertTrue(oneBatch.add(new float[] {3.0f, 0.75f}, 2, 2));
    assertEquals(oneBatch, s, "binned before the range grew or after: the same statistics");
  }

  @Test
  void negativeValuesTooSmallForTheBinWidthStayBelowZero() {
    // -MIN_VALUE / w underflows to -0.0 in float at R = 2^20; it must still land in bin HALF - 1,
    // as it did when binned at the smallest range and re-binned.
    TensorStatistics a = of(-Float.MIN_VALUE);
    assertTrue(a.add(new float[] {1e6f}, 1, 1));
    TensorStatistics b = TensorStatistics.withHistogram("t");
    assertTrue(b.add(new float[] {1e6f, -Float.MIN_VALUE}, 2, 2));
    assertEquals(1, b.histogram()[HALF - 1]);
    assertEquals(a, b);
  }

  @Test
  void mergeOfShardsEqualsTheWholeInAnyOrderAndBatching() {
    Random r = new Random(42);
    List<float[]> batches = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      float scale = (float) Math.pow(10, r.nextInt(9) - 4);
      float[] v = new float[1 + r.nextInt(300)];
      for (int j = 0; j < v.length; j++) {
        double g = r.nextGaussian() * scale;
        v[j] =
            switch (r.nextInt(10)) {
              case 0 -> 0f;
              case 1 -> -0f;
              case 2 -> (float) (g * 1e-30);
              case 3 -> (float) Math.max(0, g);
              default -> (float) g;
            };
      }
      batches.add(v);
    }
    TensorStatistics whole = TensorStatistics.withHistogram("t");
    batches.forEach(v -> assertTrue(whole.add(v, v.length, 1)));
    for (int trial = 0; trial < 20; trial++) {
      List<float[]> shuffled = new ArrayList<>(batches);
      Collections.shuffle(shuffled, new Random(trial));
      List<TensorStatistics> shards = new ArrayList<>();
      TensorStatistics current = TensorStatistics.withHistogram("t");
      for (float[] v : shuffled) {
        assertTrue(current.add(v, v.length, 1));
        if (r.nextInt(5) == 0) {
          shards.add(current);
          current = TensorStatistics.withHistogram("t");
        }
      }
      shards.add(current);
      Collections.shuffle(shards, new Random(trial + 100));
      TensorStatistics merged = shards.get(0);
      for (int i = 1; i < shards.size(); i++) {
        merged = (i % 2 == 0) ? merged.merge(shards.get(i)) : shards.get(i).merge(merged);
      }
      assertEquals(whole, merged, "trial " + trial + " with " + shards.size() + " shards");
    }
  }

  /** Random batches of mixed scale and sign, with zeros, -0.0 and tiny values. */
  private static List<float[]> mixedBatches(long seed, int count) {
    Random r = new Random(seed);
    List<float[]> batches = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      float scale = (float) Math.pow(10, r.nextInt(9) - 4);
      double shift = r.nextInt(3) - 1;
      float[] v = new float[1 + r.nextInt(300)];
      for (int j = 0; j < v.length; j++) {
        double g = (r.nextGaussian() + shift) * scale;
        v[j] =
            switch (r.nextInt(10)) {
              case 0 -> 0f;
              case 1 -> -0f;
              case 2 -> (float) (g * 1e-30);
              default -> (float) g;
            };
      }
      batches.add(v);
    }
    return batches;
  }

  @Test
  void histogramIsTheFloorRuleAtTheFinalRangeWhateverEachHalfSawFirst() {
    // Reference: every value binned once at the final R, in double (exact), as the class comment
    // says.
    for (long seed = 0; seed < 10; seed++) {
      List<float[]> batches = mixedBatches(seed, 30);
      TensorStatistics s = TensorStatistics.withHistogram("t");
      float absMax = 0;
      for (float[] v : batches) {
        assertTrue(s.add(v, v.length, 1));
        for (float x : v) {
          absMax = Math.max(absMax, Math.abs(x));
        }
      }
      double inverse = 1.0 / TensorStatistics.binWidthFor(absMax);
      long[] want = new long[TensorStatistics.BINS];
      for (float[] v : batches) {
        for (float x : v) {
          int bin =
              (x == 0f && Float.floatToRawIntBits(x) != 0)
                  ? HALF - 1
                  : (int) Math.floor(x * inverse) + HALF;
          want[bin]++;
        }
      }
      assertEquals(TensorStatistics.binWidthFor(absMax), s.binWidth(), "seed " + seed);
      assertTrue(Arrays.equals(want, s.histogram()), "seed " + seed);
    }
  }

  @Test
  void binEdgesAndTinyValuesFollowTheFloorRule() {
    // R = 2^20 on both sides (w = 2^9): exact bin edges, one ulp either side of them, values so
    // small that x / w + BINS/2 rounds in double, subnormals, and both zeros.
    List<Float> values =
        new ArrayList<>(
            List.of(
                0f,
                -0f,
                Float.MIN_VALUE,
                -Float.MIN_VALUE,
                1e-30f,
                -1e-30f,
                0x1p-40f,
                -0x1p-40f,
                0x1p-30f,
                -0x1p-30f,
                0.5f,
                -0.5f,
                (float) (0x1p20 - 1),
                (float) -(0x1p20 - 1),
                1_000_000f,
                -1_000_000f));
    for (int k = 1; k < 2048; k += 97) {
      float edge = k * 512f;
      values.addAll(
          List.of(
              edge,
              -edge,
              Math.nextUp(edge),
              Math.nextDown(edge),
              Math.nextUp(-edge),
              Math.nextDown(-edge)));
    }
    float[] v = new float[values.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = values.get(i);
    }
    // Binned at once (the range known from the first pass) and value by value (the range growing).
    TensorStatistics atOnce = of(v);
    TensorStatistics growing = TensorStatistics.withHistogram("t");
    for (float x : v) {
      assertTrue(growing.add(new float[] {x}, 1, 0));
    }
    long[] want = new long[TensorStatistics.BINS];
    for (float x : v) {
      want[
          (x == 0f && Float.floatToRawIntBits(x) != 0)
              ? HALF - 1
              : (int) Math.floor(x / 512.0) + HALF]++;
    }
    assertEquals(Math.scalb(1.0, 20), atOnce.histogramLimit());
    assertTrue(Arrays.equals(want, atOnce.histogram()));
    assertTrue(Arrays.equals(want, growing.histogram()));
  }

  @Test
  void reluOutputStatisticsEqualThoseOfTheReluOutputValues() {
    int finerThanInput = 0;
    for (long seed = 0; seed < 10; seed++) {
      List<float[]> batches = mixedBatches(seed, 30);
      TensorStatistics in = TensorStatistics.withHistogram("x");
      TensorStatistics out = TensorStatistics.withHistogram("y");
      for (float[] v : batches) {
        assertTrue(in.add(v, v.length, 2));
        float[] relu = new float[v.length];
        for (int j = 0; j < v.length; j++) {
          relu[j] =
              Math.max(v[j], 0f); // Java's max, like the ReLU's derivation, gives +0.0 for -0.0
        }
        assertTrue(out.add(relu, relu.length, 2));
      }
      assertEquals(out, in.reluOutput("y"), "seed " + seed);
      finerThanInput += in.histogramLimit() > out.histogramLimit() ? 1 : 0;
      TensorStatistics minMax = TensorStatistics.minMaxOnly("x");
      batches.forEach(v -> assertTrue(minMax.add(v, v.length, 1)));
      TensorStatistics reluMinMax = minMax.reluOutput("y");
      assertEquals(out.min(), reluMinMax.min());
      assertEquals(out.max(), reluMinMax.max());
      assertFalse(reluMinMax.hasHistogram());
    }
    assertTrue(
        finerThanInput > 0,
        "some seeds have a wider negative side, whose coarser bins the ReLU output must not inherit");
  }

  @Test
  void mergeLeavesBothOperandsUnchanged() {
    TensorStatistics a = of(1f, 2f);
    TensorStatistics b = of(100f);
    TensorStatistics a0 = a.copy();
    TensorStatistics b0 = b.copy();
    TensorStatistics m = a.merge(b);
    assertEquals(a0, a);
    assertEquals(b0, b);
    assertEquals(3, m.count());
    assertEquals(2, m.samples());
    assertEquals(100f, m.max());
  }

  @Test
  void nonFiniteValuesAreRejected() {
    assertFalse(TensorStatistics.withHistogram("t").add(new float[] {1f, Float.NaN}, 2, 1));
    assertFalse(
        TensorStatistics.withHistogram("t").add(new float[] {Float.POSITIVE_INFINITY}, 1, 1));
    assertFalse(
        TensorStatistics.minMaxOnly("t").add(new float[] {1f, 2f, 3f, 4f, Float.NaN}, 5, 1));
    assertFalse(TensorStatistics.minMaxOnly("t").add(new float[] {Float.NaN, 1f, 2f, 3f}, 4, 1));
    assertFalse(TensorStatistics.minMaxOnly("t").add(new float[] {Float.NEGATIVE_INFINITY}, 1, 1));
  }

  @Test
  void everyNanAndInfinityBitPatternIsRejectedAndFiniteExtremesAreExact() {
    // NaNs with either sign and any payload, and both infinities, from raw bits as ONNX Runtime
    // hands them over.
    int[] bad = {
      0x7fc00000, 0x7f800001, 0x7fffffff, 0xffc00000, 0xff800001, 0xffffffff, 0x7f800000, 0xff800000
    };
    for (int b : bad) {
      for (boolean histogram : new boolean[] {false, true}) {
        TensorStatistics s =
            histogram ? TensorStatistics.withHistogram("t") : TensorStatistics.minMaxOnly("t");
        assertFalse(
            s.addBits(new int[] {Float.floatToRawIntBits(1f), b}, 2, 1), Integer.toHexString(b));
      }
    }
    TensorStatistics s = TensorStatistics.minMaxOnly("t");
    float[] v = {-Float.MAX_VALUE, Float.MAX_VALUE, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 3.5f};
    int[] bits = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      bits[i] = Float.floatToRawIntBits(v[i]);
    }
    assertTrue(s.addBits(bits, bits.length, 1));
    assertEquals(-Float.MAX_VALUE, s.min());
    assertEquals(Float.MAX_VALUE, s.max());
    TensorStatistics small = TensorStatistics.minMaxOnly("t");
    assertTrue(
        small.addBits(
            new int[] {Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Float.MIN_VALUE)},
            2,
            1));
    assertEquals(0f, small.min(), 0f, "-0.0 is recorded as 0");
    assertEquals(Float.MIN_VALUE, small.max());
  }

  @Test
  void negativeZeroIsRecordedAsZero() {
    TensorStatistics a = TensorStatistics.minMaxOnly("t");
    assertTrue(a.add(new float[] {-0f}, 1, 1));
    assertEquals(0, Float.compare(0f, a.min()));
    assertEquals(0, Float.compare(0f, a.max()));
    TensorStatistics b = TensorStatistics.minMaxOnly("t");
    assertTrue(b.add(new float[] {0f}, 1, 1));
    assertEquals(a, b);
  }

  @Test
  void minMaxOnlyStatisticsHaveNoHistogram() {
    TensorStatistics s = TensorStatistics.minMaxOnly("t");
    assertTrue(s.add(new float[] {-2f, 5f, 1f, 0f, 3f, -7f, 4f}, 7, 3));
    assertEquals(-7f, s.min());
    assertEquals(5f, s.max());
    assertEquals(3, s.samples());
    assertFalse(s.hasHistogram());
    assertThrows(IllegalStateException.class, s::histogram);
    assertThrows(
        IllegalArgumentException.class, () -> s.merge(TensorStatistics.withHistogram("t")));
    assertThrows(
        IllegalArgumentException.class, () -> s.merge(TensorStatistics.minMaxOnly("other")));
  }

  @Test
  void absoluteHistogramFoldsTheTwoSides() {
    TensorStatistics s = of(-0.5f, 0.5f, 0.25f, -0.0001f);
    long[] abs = s.absHistogram();
    assertEquals(TensorStatistics.BINS / 2, abs.length);
    // R = 1, w = 1/2048: |0.5| in bin 1024 from both sides (the negative side's bin 1023 below zero
    // is [-1024w, -1023w)).
    assertEquals(1, abs[1024], "0.5 is bin 1024 on the positive side");
    assertEquals(
        1,
        abs[1023],
        "-0.5 is bin 1024 below zero, which folds onto 1023: [-0.5, -0.5 + w) has |x| in (0.5 - w, 0.5]");
    assertEquals(1, abs[512]);
    assertEquals(1, abs[0]);
    assertNotEquals(0, Arrays.stream(abs).sum());
  }
}
