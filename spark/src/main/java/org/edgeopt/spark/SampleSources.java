package org.edgeopt.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Chooses the {@link SampleSource} the command-line flags describe, for calibrate and validate alike. */
final class SampleSources {
  private SampleSources() {}

  /**
   * Returns the source of {@code data} in {@code format} (auto, files, parquet or binaryfile).
   *
   * @throws IllegalArgumentException for an unknown format
   */
  static SampleSource of(
      String data,
      String format,
      String dataColumn,
      String labelColumn,
      boolean rawFloats,
      List<String> classes) {
    String f = format.toLowerCase(Locale.ROOT);
    if (f.equals("auto")) {
      f = looksLikeParquet(data) ? "parquet" : "files";
    }
    return switch (f) {
      case "files" -> new FileSource(data, classes, labelColumn);
      case "parquet" -> new ParquetSource(data, dataColumn, labelColumn, rawFloats);
      case "binaryfile" -> new BinaryFileSource(data, classes);
      default ->
          throw new IllegalArgumentException(
              "--format: expected auto, files, parquet or binaryfile, found '" + format + "'");
    };
  }

  /** Whether {@code data} names a Parquet file or a folder of them. */
  static boolean looksLikeParquet(String data) {
    if (data.endsWith(".parquet") || data.endsWith(".parquet/")) {
      return true;
    }
    Path p = Path.of(data);
    if (!Files.isDirectory(p)) {
      return false;
    }
    try (var s = Files.list(p)) {
      return s.anyMatch(x -> x.getFileName().toString().endsWith(".parquet"));
    } catch (IOException e) {
      return false;
    }
  }
}
