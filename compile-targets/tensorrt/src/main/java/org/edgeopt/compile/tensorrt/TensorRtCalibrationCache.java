package org.edgeopt.compile.tensorrt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;

/**
 * The TensorRT calibration cache ({@code calibration.cache}) written from a core
 * {@link CalibrationTable}, for TensorRT 10.x users of implicit quantization.
 *
 * <p>The format is TensorRT's own: a header line {@code TRT-<version>-EntropyCalibration2},
 * where the version is {@code major*10000 + minor*100 + patch} (TensorRT rejects a cache made for
 * another version), then one line {@code <tensor>: <scale>} per tensor, where the scale is
 * {@code absMax / 127} written as the hexadecimal bits of the IEEE float32 (most significant
 * digit first, without leading zeros, as TensorRT writes it).
 */
public final class TensorRtCalibrationCache {
  /** TensorRT 10.6.0, the version of the bytedeco presets this module builds with. */
  public static final int DEFAULT_VERSION = 100600;

  private TensorRtCalibrationCache() {}

  /** Returns the version number of a {@code major.minor.patch} string, e.g. 100300 for 10.3.0. */
  public static int version(String dotted) throws EdgeoptException {
    String[] p = dotted.strip().split("\\.");
    try {
      if (p.length < 2 || p.length > 3) {
        throw new NumberFormatException();
      }
      int major = Integer.parseInt(p[0]);
      int minor = Integer.parseInt(p[1]);
      int patch = p.length == 3 ? Integer.parseInt(p[2]) : 0;
      if (major < 8 || minor > 99 || patch > 99 || minor < 0 || patch < 0) {
        throw new NumberFormatException();
      }
      return major >= 10 ? major * 10000 + minor * 100 + patch : major * 1000 + minor * 100 + patch;
    } catch (NumberFormatException e) {
      throw EdgeoptException.invalid(
          "tensorrt-version '"
              + dotted
              + "': expected major.minor[.patch] of TensorRT 8 or later,"
              + " e.g. 10.3.0");
    }
  }

  /** Returns the cache text for a TensorRT version number. */
  public static String render(CalibrationTable table, int version) {
    StringBuilder s = new StringBuilder("TRT-").append(version).append("-EntropyCalibration2\n");
    for (Map.Entry<String, TensorRange> e : new TreeMap<>(table.tensors()).entrySet()) {
      s.append(e.getKey()).append(": ").append(hex(e.getValue().absMax() / 127f)).append('\n');
    }
    return s.toString();
  }

  /** Writes the cache atomically. */
  public static void write(CalibrationTable table, int version, Path file) throws IOException {
    AtomicFiles.writeString(file, render(table, version));
  }

  /** Returns a scale as TensorRT writes it. */
  static String hex(float scale) {
    return Integer.toHexString(Float.floatToIntBits(scale));
  }

  /** Reads the scales of a cache's text back, by tensor name, in file order. */
  public static Map<String, Float> parse(String text) throws EdgeoptException {
    Map<String, Float> m = new LinkedHashMap<>();
    String[] lines = text.split("\n");
    if (lines.length == 0 || !lines[0].matches("TRT-\\d+-\\w+")) {
      throw EdgeoptException.invalid(
          "calibration cache: expected a 'TRT-<version>-<calibrator>' header, found '"
              + (lines.length == 0 ? "" : lines[0])
              + "'");
    }
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].lastIndexOf(": ");
      String hex = colon < 0 ? "" : lines[i].substring(colon + 2);
      if (colon < 0 || !hex.matches("[0-9a-fA-F]{1,8}")) {
        throw EdgeoptException.invalid(
            "calibration cache line "
                + (i + 1)
                + ": expected '<tensor>: <hex scale>', found '"
                + lines[i]
                + "'");
      }
      m.put(lines[i].substring(0, colon), Float.intBitsToFloat((int) Long.parseLong(hex, 16)));
    }
    return m;
  }
}
