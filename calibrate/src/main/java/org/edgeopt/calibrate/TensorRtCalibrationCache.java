package org.edgeopt.calibrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;

/**
 * A calibration table in TensorRT's calibration-cache text format, which {@code trtexec --calib}
 * and an {@code IInt8EntropyCalibrator2} read back instead of calibrating again.
 *
 * <p>The first line is {@code TRT-<version>-EntropyCalibration2}; then one line per tensor,
 * {@code <name>: <scale>}, the scale being {@code absMax / 127} written as the eight hex digits
 * of its float32 bits, most significant first ({@code 3c010204} is 1/127, the scale of a range
 * [-1, 1]). The version number is TensorRT's {@code NV_TENSORRT_VERSION}: major*10000 + minor*100
 * + patch from TensorRT 10 on ({@code 100600} for 10.6.0), major*1000 + minor*100 + patch before
 * ({@code 8601} for 8.6.1).
 *
 * @param version the TensorRT version number written in the header
 * @param scales the scale of each tensor, in table order
 */
public record TensorRtCalibrationCache(int version, Map<String, Float> scales) {
  /** The version of the TensorRT presets edgeopt builds engines with (10.6.0). */
  public static final int DEFAULT_VERSION = versionNumber(10, 6, 0);

  private static final Pattern HEADER = Pattern.compile("TRT-(\\d+)-EntropyCalibration2");
  private static final Pattern LINE = Pattern.compile("(.+): ([0-9a-fA-F]{8})");

  public TensorRtCalibrationCache {
    scales = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scales));
  }

  /** Returns TensorRT's version number for a release, as its header line carries it. */
  public static int versionNumber(int major, int minor, int patch) {
    return major >= 10 ? major * 10000 + minor * 100 + patch : major * 1000 + minor * 100 + patch;
  }

  /**
   * Returns the cache for a table: scale {@code absMax / 127} per tensor. A tensor whose range
   * is all zero gets the smallest normal scale, as TensorRT rejects a zero scale.
   */
  public static TensorRtCalibrationCache of(CalibrationTable table, int version) {
    Map<String, Float> s = new LinkedHashMap<>();
    for (Map.Entry<String, TensorRange> e : table.tensors().entrySet()) {
      float scale = e.getValue().absMax() / 127f;
      s.put(e.getKey(), scale > 0 ? scale : Float.MIN_NORMAL);
    }
    return new TensorRtCalibrationCache(version, s);
  }

  /** Returns the cache file text. */
  public String format() {
    StringBuilder sb = new StringBuilder("TRT-").append(version).append("-EntropyCalibration2\n");
    scales.forEach(
        (name, scale) ->
            sb.append(name)
                .append(": ")
                .append(String.format(Locale.ROOT, "%08x", Float.floatToIntBits(scale)))
                .append('\n'));
    return sb.toString();
  }

  /** Writes the cache file atomically. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, format());
  }

  /** Returns the range {@code [-127 * scale, 127 * scale]} TensorRT will quantize a tensor to, or null. */
  public Float absMax(String tensor) {
    Float s = scales.get(tensor);
    return s == null ? null : s * 127f;
  }

  /** Reads a cache file written by TensorRT or by {@link #write}. */
  public static TensorRtCalibrationCache read(Path file) throws EdgeoptException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": cannot read the TensorRT calibration cache: " + e.getMessage(), e);
    }
    if (lines.isEmpty()) {
      throw EdgeoptException.invalid(
          file + ": expected a 'TRT-<version>-EntropyCalibration2' header, found an empty file");
    }
    Matcher h = HEADER.matcher(lines.get(0).strip());
    if (!h.matches()) {
      throw EdgeoptException.invalid(
          file
              + ": expected a 'TRT-<version>-EntropyCalibration2' header, found '"
              + lines.get(0)
              + "'");
    }
    Map<String, Float> s = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw EdgeoptException.invalid(
            file
                + ": line "
                + (i + 1)
                + ": expected '<tensor>: <8 hex digits>', found '"
                + line
                + "'");
      }
      s.put(m.group(1), Float.intBitsToFloat(Integer.parseUnsignedInt(m.group(2), 16)));
    }
    return new TensorRtCalibrationCache(Integer.parseInt(h.group(1)), s);
  }
}
