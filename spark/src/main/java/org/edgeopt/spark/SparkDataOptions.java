package org.edgeopt.spark;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The data flags the Spark calibrate and validate commands share (the same as {@code edgeopt
 * calibrate}'s): how to read the samples, whatever flag names where they are.
 */
final class SparkDataOptions {
  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "auto",
      description =
          "files, parquet or binaryfile (default: parquet for *.parquet or a folder of .parquet files, else files).")
  String format;

  @Option(
      names = "--data-column",
      paramLabel = "NAME",
      defaultValue = "image",
      description =
          "Parquet: the column of encoded images (PNG/JPEG bytes) or tensors (default: ${DEFAULT-VALUE}).")
  String dataColumn;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description =
          "Parquet: the integer label column; CSV: the label column (default: none for Parquet).")
  String labelColumn;

  @Option(
      names = "--raw-floats",
      description =
          "Parquet: a binary data column holds little-endian float32 tensors, not images.")
  boolean rawFloats;

  /**
   * Returns the source these flags describe for the data at {@code location}.
   *
   * @throws IllegalArgumentException when the flags do not fit the data
   */
  SampleSource source(String location, List<String> classes) {
    return SampleSources.of(location, format, dataColumn, labelColumn, rawFloats, classes);
  }
}
