package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The statistics against figures computed by hand or by standard tables, and the thresholds file. */
class DriftStatisticsTest {
  @TempDir Path dir;

  @Test
  void wilsonMatchesTheTextbookInterval() {
    // 8 of 10 at 95%: Wilson (1927) gives 0.4902..0.9433.
    double[] w = DriftStatistics.wilson(8, 10, 0.95);
    assertEquals(0.4902, w[0], 1e-4);
    assertEquals(0.9433, w[1], 1e-4);
  }

  @Test
  void psiIsZeroForTheSameProportionsAndMatchesTheFormula() {
    assertEquals(0, DriftStatistics.psi(new long[] {10, 20, 30}, new long[] {10, 20, 30}), 1e-12);
    // The half count per bin keeps empty bins finite and matters only for small samples.
    assertEquals(
        0,
        DriftStatistics.psi(
            new long[] {100_000, 200_000, 300_000}, new long[] {10_000, 20_000, 30_000}),
        1e-6);
    // Proportions (after half a count per bin) 0.5/0.5 vs 0.25/0.75 (huge counts make smoothing
    // negligible).
    double expected = (0.5 - 0.25) * Math.log(0.5 / 0.25) + (0.5 - 0.75) * Math.log(0.5 / 0.75);
    assertEquals(
        expected,
        DriftStatistics.psi(new long[] {1_000_000, 1_000_000}, new long[] {1_000_000, 3_000_000}),
        1e-6);
  }

  @Test
  void ksFindsTheLargestGapBetweenTheCumulativeDistributions() {
    DriftStatistics.KsResult r =
        DriftStatistics.ks(new long[] {50, 50, 0, 0}, new long[] {0, 50, 50, 0});
    assertEquals(0.5, r.d(), 1e-12);
    assertTrue(r.p() < 1e-8, "100 vs 100 samples half a distribution apart: p " + r.p());
    assertEquals(1.0, DriftStatistics.ks(new long[] {5, 5}, new long[] {50, 50}).p(), 1e-12);
  }

  @Test
  void chiSquareTellsAMovedMixFromNoise() {
    long[] reference = {1000, 1000, 1000};
    assertTrue(DriftStatistics.chiSquareFit(new long[] {100, 98, 102}, reference) > 0.5);
    assertTrue(DriftStatistics.chiSquareFit(new long[] {200, 50, 50}, reference) < 1e-10);
    assertTrue(
        DriftStatistics.chiSquareHomogeneity(
                new long[] {200, 50, 50, 0}, new long[] {100, 100, 100, 0})
            < 1e-10);
    assertEquals(0.5, DriftStatistics.totalVariation(new long[] {1, 0}, new long[] {1, 1}), 1e-12);
  }

  @Test
  void latencyPercentilesAreWithinTheBinWidth() {
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 1; i <= 1000; i++) {
      h.add(i / 10.0);
    }
    assertEquals(50.0, h.percentile(50), 50.0 * 0.025);
    assertEquals(95.0, h.percentile(95), 95.0 * 0.025);
    assertEquals(99.0, h.percentile(99), 99.0 * 0.025);
  }

  @Test
  void thresholdsFileOverridesSomeAndNamesBadKeys() throws Exception {
    Path f = dir.resolve("thresholds.yaml");
    Files.writeString(f, "maxPsi: 0.25\nminSamples: 500\n");
    MonitorThresholds t = MonitorThresholds.read(f);
    assertEquals(0.25, t.maxPsi());
    assertEquals(500, t.minSamples());
    assertEquals(MonitorThresholds.defaults().alpha(), t.alpha());
    Files.writeString(f, "maxPSI: 0.25\n");
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> MonitorThresholds.read(f));
    assertTrue(e.getMessage().contains("key 'maxPSI': unknown threshold"), e.getMessage());
    Files.writeString(f, "alpha: 2\n");
    e = assertThrows(EdgeoptException.class, () -> MonitorThresholds.read(f));
    assertTrue(e.getMessage().contains("alpha must be in (0, 1), found 2.0"), e.getMessage());
  }
}
