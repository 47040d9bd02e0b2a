package org.edgeopt.samples;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One labelled data subset of a sample model (its calibration or its holdout split), as files on disk.
 *
 * <p>An {@link Format#IDX IDX} split is a pair of gzip IDX files ({@link #images()} with raw
 * {@code uint8} pixels, {@link #labels()} with {@code uint8} labels); {@link #file()} and
 * {@link #labelColumn()} are {@code null}. A {@link Format#CSV CSV} split is one file with a header
 * row whose {@link #labelColumn()} holds the integer label and whose other columns hold raw feature
 * values; {@link #images()} and {@link #labels()} are {@code null}. Raw values are stored: the
 * sample's preprocessing spec says how to turn them into model input.
 *
 * @param format the file format
 * @param images the IDX images file ({@code idx3-ubyte.gz}), or {@code null} for CSV
 * @param labels the IDX labels file ({@code idx1-ubyte.gz}), or {@code null} for CSV
 * @param file the CSV file, or {@code null} for IDX
 * @param count the number of samples in the split
 * @param labelColumn the name of the CSV label column, or {@code null} for IDX
 */
public record DataSplit(
    Format format, Path images, Path labels, Path file, int count, String labelColumn) {

  /** The on-disk format of a {@link DataSplit}. */
  public enum Format {
    /** A pair of gzip-compressed IDX files (images and labels), as in MNIST. */
    IDX,
    /** One CSV file with a header row, feature columns and a label column. */
    CSV;

    /**
     * Returns the format with the given name as written in {@code sample.json} ({@code idx} or {@code csv}).
     *
     * @param id the name, case-insensitive
     * @return the format
     * @throws IllegalArgumentException if the name is neither {@code idx} nor {@code csv}
     */
    public static Format of(String id) {
      for (Format f : values()) {
        if (f.id().equalsIgnoreCase(id)) {
          return f;
        }
      }
      throw new IllegalArgumentException("unknown data format '" + id + "': expected idx or csv");
    }

    /**
     * Returns the lower-case name used in {@code sample.json}.
     *
     * @return {@code idx} or {@code csv}
     */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Checks that the components present match the format.
   *
   * @param format the file format
   * @param images the IDX images file, or {@code null} for CSV
   * @param labels the IDX labels file, or {@code null} for CSV
   * @param file the CSV file, or {@code null} for IDX
   * @param count the number of samples
   * @param labelColumn the CSV label column, or {@code null} for IDX
   * @throws IllegalArgumentException if a file required by the format is missing, a file of the
   *     other format is given, or {@code count} is negative
   */
  public DataSplit {
    Objects.requireNonNull(format, "format");
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, was " + count);
    }
    switch (format) {
      case IDX -> {
        if (images == null || labels == null || file != null || labelColumn != null) {
          throw new IllegalArgumentException(
              "an idx split needs images and labels and no csv file or label column");
        }
      }
      case CSV -> {
        if (file == null || labelColumn == null || images != null || labels != null) {
          throw new IllegalArgumentException(
              "a csv split needs a file and a label column and no idx images or labels");
        }
      }
    }
  }

  /**
   * Returns every file of this split: {@code [images, labels]} for IDX, {@code [file]} for CSV.
   *
   * @return the files, never empty
   */
  public List<Path> files() {
    return format == Format.IDX ? List.of(images, labels) : List.of(file);
  }
}
