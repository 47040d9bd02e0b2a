package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorRtCalibrationCacheTest {

  private static CalibrationTable table() {
    Map<String, TensorRange> t = new LinkedHashMap<>();
    t.put("images", new TensorRange(0f, 1f, 0f, 1f, "entropy", 10, 4096));
    t.put("conv1/out", new TensorRange(-2f, 0.5f, -3f, 0.5f, "entropy", 10, 4096));
    t.put("dead", new TensorRange(0f, 0f, 0f, 0f, "entropy", 10, 4096));
    return new CalibrationTable(1, "entropy", "m", "d", 10, Map.of(), t);
  }

  @Test
  void writesScalesAsTensorRtDoes() {
    String text =
        TensorRtCalibrationCache.of(table(), TensorRtCalibrationCache.versionNumber(8, 6, 1))
            .format();
    // float32 1/127 has the bits 0x3c010204, 2/127 0x3c810204 (big-endian hex, as TensorRT writes).
    assertEquals(
        "TRT-8601-EntropyCalibration2\n"
            + "images: 3c010204\n"
            + "conv1/out: 3c810204\n"
            + "dead: 00800000\n",
        text);
  }

  @Test
  void versionNumbersFollowTensorRtsScheme() {
    assertEquals(8601, TensorRtCalibrationCache.versionNumber(8, 6, 1));
    assertEquals(100600, TensorRtCalibrationCache.versionNumber(10, 6, 0));
    assertEquals(100600, TensorRtCalibrationCache.DEFAULT_VERSION);
  }

  @Test
  void readsWhatItWritesAndWhatTensorRtWrites(@TempDir Path dir)
      throws IOException, EdgeoptException {
    TensorRtCalibrationCache c =
        TensorRtCalibrationCache.of(table(), TensorRtCalibrationCache.DEFAULT_VERSION);
    Path f = dir.resolve("calibration.cache");
    c.write(f);
    assertEquals(c, TensorRtCalibrationCache.read(f));
    assertEquals(2f, TensorRtCalibrationCache.read(f).absMax("conv1/out"), 1e-6f);
    // Lines as TensorRT 8.6 wrote them for a YOLO model (NVIDIA/TensorRT issue 4044 thread).
    Files.writeString(f, "TRT-8601-EntropyCalibration2\nimages: 3c010a14\n168: 3dc6cf6e\n");
    TensorRtCalibrationCache trt = TensorRtCalibrationCache.read(f);
    assertEquals(8601, trt.version());
    // 0x3c010a14 is 1.000244 / 127: TensorRT's entropy thresholds are bin edges, not 1.0.
    assertEquals(Float.intBitsToFloat(0x3c010a14), trt.scales().get("images"));
    assertEquals(1.000244f, trt.absMax("images"), 1e-6f);
    assertEquals(Float.intBitsToFloat(0x3dc6cf6e), trt.scales().get("168"));
  }

  @Test
  void rejectsFilesThatAreNotCaches(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.cache");
    Files.writeString(f, "TRT-8601-MinMaxCalibration\n");
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> TensorRtCalibrationCache.read(f));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        f
            + ": expected a 'TRT-<version>-EntropyCalibration2' header, found 'TRT-8601-MinMaxCalibration'",
        e.getMessage());
    Files.writeString(f, "TRT-8601-EntropyCalibration2\nimages: 0.5\n");
    e = assertThrows(EdgeoptException.class, () -> TensorRtCalibrationCache.read(f));
    assertEquals(
        f + ": line 2: expected '<tensor>: <8 hex digits>', found 'images: 0.5'", e.getMessage());
  }
}
