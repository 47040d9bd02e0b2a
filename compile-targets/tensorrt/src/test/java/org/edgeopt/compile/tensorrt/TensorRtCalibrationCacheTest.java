package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorRtCalibrationCacheTest {
  private static CalibrationTable table() {
    Map<String, TensorRange> r = new LinkedHashMap<>();
    r.put("relu1", new TensorRange(0f, 127f, 0f, 130f, "entropy", 500, 2048));
    r.put("input", new TensorRange(-2.5f, 1.0f, -2.5f, 1f, "entropy", 500, 2048));
    r.put("dead", new TensorRange(0f, 0f, 0f, 0f, "entropy", 500, 2048));
    return new CalibrationTable(
        CalibrationTable.FORMAT_VERSION, "entropy", "m", "d", 500, Map.of(), r);
  }

  @Test
  void goldenCacheForTensorRt106() {
    // absMax 127 -> scale 1.0 = 0x3f800000; absMax 2.5 -> 2.5/127 = 0x3ca14285; a zero range ->
    // "0", as TensorRT writes it
    assertEquals(
        "TRT-100600-EntropyCalibration2\n"
            + "dead: 0\n"
            + "input: 3ca14285\n"
            + "relu1: 3f800000\n",
        TensorRtCalibrationCache.render(table(), TensorRtCalibrationCache.DEFAULT_VERSION));
  }

  @Test
  void versionNumbersFollowTensorRtsEncoding() throws Exception {
    assertEquals(100300, TensorRtCalibrationCache.version("10.3.0"));
    assertEquals(101401, TensorRtCalibrationCache.version("10.14.1"));
    assertEquals(8601, TensorRtCalibrationCache.version("8.6.1"));
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> TensorRtCalibrationCache.version("ten"));
    assertEquals(3, e.exitCode().code());
  }

  @Test
  void writtenCacheReadsBackToTheSameScales(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("calibration.cache");
    TensorRtCalibrationCache.write(table(), 100300, f);
    Map<String, Float> scales = TensorRtCalibrationCache.parse(Files.readString(f));
    assertEquals(1.0f, scales.get("relu1"));
    assertEquals(2.5f / 127f, scales.get("input"));
    assertEquals(0f, scales.get("dead"));
    assertThrows(EdgeoptException.class, () -> TensorRtCalibrationCache.parse("not a cache\n"));
    assertThrows(
        EdgeoptException.class,
        () -> TensorRtCalibrationCache.parse("TRT-100600-EntropyCalibration2\nx: zz\n"));
  }
}
