package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;
import org.junit.jupiter.api.Test;

class CalibratorsTest {

  private static TensorStatistics stats(float[] v) {
    TensorStatistics s = TensorStatistics.withHistogram("t");
    assertTrue(s.add(v, v.length, v.length));
    return s;
  }

  /** 0, 1, ..., 9999: R = 16384, bins of width 8. */
  private static float[] ramp() {
    float[] v = new float[10_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return v;
  }

  /**
   * 200,000 standard normal values and one outlier at 20. Symmetric int8: keeping 20 costs every
   * value rounding error (20/127)^2/12, 413 in all; clipping at 10 costs the outlier 10^2 = 100 and
   * the rest 103. Both entropy and MSE should clip (asymmetric MSE less, its range being denser).
   */
  private static float[] gaussianWithOutlier() {
    Random r = new Random(5);
    float[] v = new float[200_001];
    for (int i = 0; i < 200_000; i++) {
      v[i] = (float) r.nextGaussian();
    }
    v[200_000] = 20f;
    return v;
  }

  /** Returns the mean squared error of quantizing {@code v} to int8/uint8 over a range. */
  private static double quantizationMse(float[] v, TensorRange r, boolean symmetric) {
    QuantParams q =
        symmetric
            ? QuantParams.symmetric(r.absMax(), DataType.INT8)
            : QuantParams.asymmetric(r.min(), r.max(), DataType.UINT8);
    double sum = 0;
    for (float x : v) {
      double d = x - q.dequantize(q.quantize(x, 0), 0);
      sum += d * d;
    }
    return sum / v.length;
  }

  @Test
  void minmaxIsTheObservedRange() {
    TensorRange r = new MinMaxCalibrator().range(stats(new float[] {-3f, 0.5f, 7.25f}));
    assertEquals(new TensorRange(-3f, 7.25f, -3f, 7.25f, "minmax", 3, 0), r);
  }

  @Test
  void percentileReadsBinEdgesFromTheHistogram() {
    TensorStatistics s = stats(ramp());
    // Symmetric 99: rank ceil(0.99 * 10000) = 9900 is the value 9899, in bin [9896, 9904):
    // threshold 9904.
    TensorRange sym = new PercentileCalibrator(99, true).range(s);
    assertEquals(0f, sym.min());
    assertEquals(9904f, sym.max());
    // Asymmetric 98: cut 100 values from each end; kept ranks 101 .. 9900 are values 100 .. 9899,
    // in bins [96, 104) and [9896, 9904).
    TensorRange asym = new PercentileCalibrator(98, false).range(s);
    assertEquals(96f, asym.min());
    assertEquals(9904f, asym.max());
    assertEquals("percentile", asym.method());
    assertEquals(TensorStatistics.BINS, asym.histogramBins());
    // 100 percent keeps everything: the observed range.
    TensorRange all = new PercentileCalibrator(100, false).range(s);
    assertEquals(0f, all.min());
    assertEquals(9999f, all.max());
    assertThrows(IllegalArgumentException.class, () -> new PercentileCalibrator(0, true));
    assertThrows(IllegalArgumentException.class, () -> new PercentileCalibrator(100.5, true));
  }

  @Test
  void entropyAndMseClipOutliersButKeepTheBulk() {
    float[] v = gaussianWithOutlier();
    TensorStatistics s = stats(v);
    TensorRange minmax = new MinMaxCalibrator().range(s);
    assertEquals(20f, minmax.absMax());
    for (Calibrator c :
        new Calibrator[] {
          new EntropyCalibrator(), new MseCalibrator(true), new MseCalibrator(false)
        }) {
      TensorRange r = c.range(s);
      assertTrue(
          r.absMax() > 2.5f && r.absMax() < 19.5f,
          c.method()
              + " threshold "
              + r.absMax()
              + " should clip the outlier at 20"
              + " and keep more than 2.5 sigma");
      assertEquals(20f, r.observedMax());
    }
    // The MSE method's whole point: less quantization error than the observed range.
    for (boolean symmetric : new boolean[] {true, false}) {
      double mse = quantizationMse(v, new MseCalibrator(symmetric).range(s), symmetric);
      double full = quantizationMse(v, minmax, symmetric);
      assertTrue(
          mse < 0.8 * full,
          "symmetric=" + symmetric + ": MSE range error " + mse + " vs min-max " + full);
    }
  }

  @Test
  void uniformDataKeepsNearlyItsWholeRange() {
    Random r = new Random(9);
    float[] v = new float[100_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat() * 2 - 1;
    }
    TensorStatistics s = stats(v);
    for (Calibrator c :
        new Calibrator[] {
          new EntropyCalibrator(), new MseCalibrator(true), new PercentileCalibrator(99.99, true)
        }) {
      float t = c.range(s).absMax();
      assertTrue(
          t > 0.9f && t <= 1f, c.method() + " threshold " + t + " for values uniform in [-1, 1]");
    }
  }

  @Test
  void everyCandidatesDivergenceMatchesThePlainComputation() {
    // Both ways of summing a candidate: histograms with many empty bins (bin by bin) and nearly
    // uniform ones with a few holes (every shift tiny against every share: the series).
    Random r = new Random(5);
    int series = 0;
    for (int h = 0; h < 12; h++) {
      long[] abs = new long[TensorStatistics.BINS / 2];
      int last = 300 + r.nextInt(1700);
      for (int j = 0; j < last; j++) {
        abs[j] =
            h % 2 == 0 ? (r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(50)) : 5_000 + r.nextInt(5_000);
      }
      for (int hole = 0; h % 2 == 1 && hole < 1 + h / 4; hole++) {
        abs[1 + r.nextInt(last - 2)] = 0;
      }
      abs[last - 1] = Math.max(abs[last - 1], 1);
      long total = java.util.Arrays.stream(abs).sum();
      EntropyCalibrator.Search fast = new EntropyCalibrator.Search(abs, last);
      double[] levelSum = new double[EntropyCalibrator.LEVELS];
      int[] levelNonZero = new int[EntropyCalibrator.LEVELS];
      long beyond = 0;
      for (int j = EntropyCalibrator.LEVELS; j < last; j++) {
        beyond += abs[j];
      }
      int nonZero = 0;
      for (int j = 0; j < EntropyCalibrator.LEVELS; j++) {
        nonZero += abs[j] != 0 ? 1 : 0;
      }
      for (int i = EntropyCalibrator.LEVELS; i <= last; i++) {
        if (abs[i - 1] != 0 && i > EntropyCalibrator.LEVELS) {
          nonZero++;
        }
        double want =
            ReferenceEntropyCalibrator.divergence(
                abs, i, beyond, total, nonZero, levelSum, levelNonZero);
        double got = fast.divergence(i, beyond);
        if (Double.isInfinite(want)) {
          assertEquals(want, got, "histogram " + h + ", candidate " + i);
        } else {
          // Tolerance: the series and the prefix sums round differently; 1e-9 of the divergence.
          assertEquals(
              want, got, 1e-9 * Math.max(want, 1e-6), "histogram " + h + ", candidate " + i);
          series += h % 2;
        }
        if (i < last) {
          beyond -= abs[i];
        }
      }
    }
    assertTrue(
        series > 1000,
        "the nearly uniform histograms exercise the series: " + series + " candidates");
  }

  @Test
  void fastEntropySearchChoosesWhatThePlainOneChooses() {
    // Gaussian, ReLU-like (half exact zeros), heavy-tailed, sparse and tiny tensors, many sizes.
    Random r = new Random(17);
    Calibrator fast = new EntropyCalibrator();
    Calibrator plain = new ReferenceEntropyCalibrator();
    for (int t = 0; t < 60; t++) {
      int n = 200 + r.nextInt(t % 3 == 0 ? 300_000 : 20_000);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        double g = r.nextGaussian();
        v[i] =
            (float)
                switch (t % 5) {
                  case 0 -> g;
                  case 1 -> Math.max(0, g) * 3;
                  case 2 -> g * g * g;
                  case 3 -> r.nextInt(50) == 0 ? g * 40 : 0;
                  default -> g * 1e-3 + (r.nextInt(1000) == 0 ? 0.5 : 0);
                };
      }
      TensorStatistics s = stats(v);
      assertEquals(plain.range(s), fast.range(s), "histogram " + t + " (" + n + " values)");
    }
  }

  @Test
  void entropyNeverClipsMostOfATensorFarFromZero() {
    // A global average pool after ReLU: every value in [0.3, 1.2]. Without the percentile floor the
    // KL search picks a threshold below all values (P and Q both a single spike).
    Random r = new Random(3);
    float[] v = new float[192];
    for (int i = 0; i < v.length; i++) {
      v[i] = 0.3f + 0.9f * r.nextFloat();
    }
    TensorRange t = new EntropyCalibrator().range(stats(v));
    assertTrue(t.max() > 0.75f, "threshold " + t.max() + " clips more than half of the values");
    assertTrue(t.min() >= 0.3f, "the lower end stays the observed minimum, found " + t.min());
  }

  @Test
  void reluOutputsKeepZeroAsLowerEnd() {
    float[] v = gaussianWithOutlier();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.max(0, v[i]);
    }
    TensorStatistics s = stats(v);
    for (Calibrator c :
        new Calibrator[] {
          new EntropyCalibrator(), new MseCalibrator(false), new PercentileCalibrator(99.99, false)
        }) {
      TensorRange r = c.range(s);
      assertEquals(0f, r.min(), c.method());
      assertTrue(r.max() > 2f && r.max() <= 20f, c.method() + " upper end " + r.max());
    }
  }

  @Test
  void emptyStatisticsGiveAZeroRange() {
    TensorStatistics s = TensorStatistics.withHistogram("t");
    for (CalibrationMethod m : CalibrationMethod.values()) {
      TensorRange r = m.calibrator(99.99, false).range(s);
      assertEquals(0f, r.min(), m.id());
      assertEquals(0f, r.max(), m.id());
    }
  }

  @Test
  void methodsParseByNameAndRejectOthersWithExitCode3() throws EdgeoptException {
    assertEquals(CalibrationMethod.ENTROPY, CalibrationMethod.of("Entropy", "test"));
    assertEquals("mse", CalibrationMethod.MSE.id());
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> CalibrationMethod.of("kl", "--method"));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "--method: expected a calibration method (minmax, percentile, entropy, mse), found 'kl'",
        e.getMessage());
  }
}
