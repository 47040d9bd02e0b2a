package org.edgeopt.core.quant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;

/**
 * The frozen result of calibration: one range per activation tensor, with provenance. Written
 * as {@code calibration.json}; the quantizer and every target read it back.
 *
 * @param formatVersion the version of this JSON format
 * @param method the calibrator that produced the ranges
 * @param modelSha256 SHA-256 of the model that was calibrated
 * @param dataSha256 SHA-256 of the calibration data
 * @param samples how many samples were used
 * @param provenance tool name and version, the full calibration config
 * @param tensors the range of each tensor, by name
 */
public record CalibrationTable(
    int formatVersion,
    String method,
    String modelSha256,
    String dataSha256,
    long samples,
    Map<String, String> provenance,
    Map<String, TensorRange> tensors) {

  /** The current JSON format version. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  public CalibrationTable {
    provenance =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(provenance == null ? Map.of() : provenance));
    tensors =
        Collections.unmodifiableMap(new LinkedHashMap<>(tensors == null ? Map.of() : tensors));
  }

  /** Returns the range of a tensor, or null when it was not calibrated. */
  public TensorRange range(String tensor) {
    return tensors.get(tensor);
  }

  /** Writes the table as JSON, atomically. */
  public void write(Path file) throws IOException {
    AtomicFiles.write(file, toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Returns the table as indented JSON with sorted keys (stable for golden files). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("calibration table does not serialize", e);
    }
  }

  /** Reads a table written by {@link #write}. */
  public static CalibrationTable read(Path file) throws EdgeoptException {
    if (!Files.isRegularFile(file)) {
      throw EdgeoptException.invalid(file + ": calibration table not found");
    }
    try {
      CalibrationTable t = JSON.readValue(file.toFile(), CalibrationTable.class);
      if (t.formatVersion() != FORMAT_VERSION) {
        throw EdgeoptException.invalid(
            file
                + ": expected calibration format version "
                + FORMAT_VERSION
                + ", found "
                + t.formatVersion());
      }
      return t;
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": not a calibration table: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
  }
}
