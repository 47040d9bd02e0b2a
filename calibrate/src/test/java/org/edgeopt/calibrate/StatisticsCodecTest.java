package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;

/** The binary form of statistics: exact round trips, and refusal of what it cannot read. */
class StatisticsCodecTest {

  @Test
  void realStatisticsRoundTripExactlyAndMergeTheSame() throws EdgeoptException {
    SampleModel sample = SampleModels.fashionMnist();
    CalibrationStatistics stats =
        Calibration.collect(
            OnnxModels.read(sample.model()),
            Datasets.open(
                sample.calibration().images().getParent(),
                Preprocessing.parse(sample.preprocess()),
                null,
                null),
            CalibrationConfig.of(CalibrationMethod.ENTROPY).withSamples(64),
            CalibrationProgress.NONE);
    byte[] bytes = StatisticsCodec.encode(stats);
    CalibrationStatistics back = StatisticsCodec.decode(bytes);
    assertEquals(stats.tensors(), back.tensors());
    assertEquals(stats.samples(), back.samples());
    assertArrayEquals(
        bytes, StatisticsCodec.encode(back), "encoding is a function of the statistics alone");
    assertEquals(stats.merge(stats).tensors(), back.merge(stats).tensors());
    for (TensorStatistics t : back.tensors().values()) {
      assertArrayEquals(stats.tensor(t.name()).histogram(), t.histogram(), t.name());
    }
  }

  @Test
  void halvesAtDifferentExponentsAndMinMaxOnlyRoundTrip() {
    Random r = new Random(7);
    TensorStatistics wide = TensorStatistics.withHistogram("wide");
    float[] v = new float[1000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * (i % 2 == 0 ? 1e-3 : 300));
    }
    wide.add(v, v.length, 10);
    TensorStatistics plain = TensorStatistics.minMaxOnly("plain");
    plain.add(v, 17, 1);
    TensorStatistics empty = TensorStatistics.withHistogram("empty");
    Map<String, TensorStatistics> m = new LinkedHashMap<>();
    m.put("wide", wide);
    m.put("plain", plain);
    m.put("empty", empty);
    CalibrationStatistics stats = new CalibrationStatistics(m, 10);
    CalibrationStatistics back = StatisticsCodec.decode(StatisticsCodec.encode(stats));
    assertEquals(stats.tensors(), back.tensors());
    assertEquals(
        java.util.List.of("wide", "plain", "empty"),
        java.util.List.copyOf(back.tensors().keySet()),
        "graph order kept");
    assertTrue(
        wide.negativeExponent() != wide.positiveExponent()
            || Arrays.stream(wide.rawBins()).sum() == 1000);
  }

  @Test
  void refusesAnotherVersionAndTruncatedBytes() {
    byte[] bytes =
        StatisticsCodec.encode(
            new CalibrationStatistics(Map.of("x", TensorStatistics.minMaxOnly("x")), 0));
    byte[] future = bytes.clone();
    future[7] = 2;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> StatisticsCodec.decode(future));
    assertTrue(e.getMessage().contains("version 1, found 2"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> StatisticsCodec.decode(Arrays.copyOf(bytes, bytes.length - 3)));
    byte[] other = bytes.clone();
    other[0] = 'X';
    assertThrows(IllegalArgumentException.class, () -> StatisticsCodec.decode(other));
  }
}
