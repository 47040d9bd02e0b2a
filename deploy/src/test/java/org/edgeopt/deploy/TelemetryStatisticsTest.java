package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Statistics folded over parts of a telemetry stream, encoded, decoded and merged in any order,
 * judge to exactly the report of one pass over the whole stream: the property Spark relies on.
 */
class TelemetryStatisticsTest {
  private static final int CLASSES = 4;

  private static Baseline baseline() {
    List<Long> conf = new ArrayList<>();
    for (int i = 0; i < ConfidenceBins.COUNT; i++) {
      conf.add(i < 10 ? 1L : 20L);
    }
    return new Baseline(
        "test",
        400,
        List.of("a", "b", "c", "d"),
        conf,
        conf,
        List.of(100L, 100L, 100L, 100L),
        0.8,
        0.1,
        360,
        List.of(),
        null);
  }

  /** Records of 6 devices over 4 windows; device d5 drifts from window 2 (low confidence, class 3). */
  private static List<TelemetryRecord> records(long seed) {
    Random r = new Random(seed);
    List<TelemetryRecord> out = new ArrayList<>();
    for (int i = 0; i < 6_000; i++) {
      int d = r.nextInt(6);
      long ts = 1_796_083_200_000L + r.nextInt(4 * 3_600_000);
      boolean drift = d == 5 && ts >= 1_796_083_200_000L + 2 * 3_600_000L;
      boolean failed = r.nextInt(100) == 0;
      double conf = drift ? 0.3 + 0.2 * r.nextDouble() : 0.6 + 0.4 * r.nextDouble();
      out.add(
          new TelemetryRecord(
              "d" + d,
              ts,
              "1.0",
              failed,
              r.nextInt(50) == 0,
              failed ? -1 : drift ? 3 : r.nextInt(CLASSES),
              failed ? Double.NaN : conf,
              failed || r.nextBoolean() ? Double.NaN : conf * r.nextDouble(),
              r.nextInt(10) == 0 ? Double.NaN : 3 * Math.exp(0.3 * r.nextGaussian()),
              r.nextInt(8) == 0 ? r.nextInt(CLASSES) : -1,
              r.nextInt(3) == 0 ? null : "s" + r.nextInt(500), // repeated ids: ties in the queue
              r.nextInt(4) == 0 ? null : r.nextInt(5) == 0));
    }
    return out;
  }

  private static TelemetryStatistics fold(List<TelemetryRecord> records) {
    TelemetryStatistics s = new TelemetryStatistics(CLASSES, 60, null, 25);
    long n = 0;
    for (TelemetryRecord r : records) {
      s.add(r, "test", ++n);
    }
    return s;
  }

  private static MonitorReport judge(TelemetryStatistics s) throws Exception {
    return Monitor.judge(baseline(), "m", MonitorThresholds.defaults(), s, "test");
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 7, 64})
  void partsMergedInAnyOrderGiveTheOnePassReport(int parts) throws Exception {
    List<TelemetryRecord> all = records(42);
    MonitorReport whole = judge(fold(all));
    assertTrue(whole.alerted(), "the drifting device must alert, or the comparison proves little");
    Random r = new Random(parts);
    List<TelemetryRecord> shuffled = new ArrayList<>(all);
    Collections.shuffle(shuffled, r);
    List<List<TelemetryRecord>> split = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      split.add(new ArrayList<>());
    }
    shuffled.forEach(x -> split.get(r.nextInt(parts)).add(x));
    List<byte[]> encoded = new ArrayList<>();
    for (List<TelemetryRecord> part : split) {
      encoded.add(TelemetryStatisticsCodec.encode(fold(part)));
    }
    Collections.shuffle(encoded, r);
    TelemetryStatistics merged = new TelemetryStatistics(CLASSES, 60, null, 25);
    encoded.forEach(b -> merged.merge(TelemetryStatisticsCodec.decode(b)));
    assertEquals(whole, judge(merged));
    assertArrayEquals(
        TelemetryStatisticsCodec.encode(fold(all)), TelemetryStatisticsCodec.encode(merged));
  }

  @Test
  void encodingRoundTripsAndRefusesOtherBytes() {
    TelemetryStatistics s = new TelemetryStatistics(CLASSES, 15, "1.0", 5);
    long n = 0;
    for (TelemetryRecord r : records(7)) {
      s.add(r, "test", ++n);
    }
    byte[] b = TelemetryStatisticsCodec.encode(s);
    assertArrayEquals(b, TelemetryStatisticsCodec.encode(TelemetryStatisticsCodec.decode(b)));
    assertEquals(5, TelemetryStatisticsCodec.decode(b).uncertain().ranked().size());
    byte[] version2 = b.clone();
    version2[7] = 2;
    assertThrows(IllegalArgumentException.class, () -> TelemetryStatisticsCodec.decode(version2));
    assertThrows(
        IllegalArgumentException.class,
        () -> TelemetryStatisticsCodec.decode(java.util.Arrays.copyOf(b, b.length - 3)));
  }

  @Test
  void statisticsOfAnotherRunDoNotMerge() {
    TelemetryStatistics a = new TelemetryStatistics(CLASSES, 60, null, 5);
    assertThrows(
        IllegalArgumentException.class,
        () -> a.merge(new TelemetryStatistics(CLASSES, 30, null, 5)));
    assertThrows(
        IllegalArgumentException.class,
        () -> a.merge(new TelemetryStatistics(CLASSES + 1, 60, null, 5)));
  }

  @Test
  void theExactSumDoesNotDependOnGrouping() {
    Random r = new Random(3);
    double[] v = new double[10_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble();
    }
    UnitIntervalSum forward = new UnitIntervalSum();
    for (double x : v) {
      forward.add(x);
    }
    UnitIntervalSum odd = new UnitIntervalSum();
    UnitIntervalSum even = new UnitIntervalSum();
    for (int i = v.length - 1; i >= 0; i--) {
      (i % 2 == 0 ? even : odd).add(v[i]);
    }
    even.merge(odd);
    assertEquals(forward.value(), even.value());
    double plain = 0;
    for (double x : v) {
      plain += x;
    }
    assertEquals(plain, forward.value(), 1e-9);
    assertNotEquals(0, forward.value());
  }
}
