package org.edgeopt.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.edgeopt.core.EdgeoptException;

/** Opens a data set from a path, recognising the format from what is there. */
public final class Datasets {
  private Datasets() {}

  /**
   * Opens {@code path}: a {@code .csv}/{@code .csv.gz} file, a {@code .npy} file (labels in
   * {@code labels.npy} beside it), a folder with IDX files ({@code *images*idx3*} and
   * {@code *labels*idx1*}), a folder of {@code .npy} pairs ({@code x.npy}/{@code labels.npy}), or a
   * folder with one image subfolder per class.
   *
   * @param classNames the model's class names (image folders), or null
   * @param labelColumn the label column of a CSV file
   */
  public static Dataset open(
      Path path, Preprocessing pre, List<String> classNames, String labelColumn)
      throws EdgeoptException {
    if (!Files.exists(path)) {
      throw EdgeoptException.invalid(path + ": data not found");
    }
    String name = path.getFileName().toString();
    if (Files.isRegularFile(path)) {
      if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
        return new CsvDataset(path, labelColumn == null ? "label" : labelColumn, pre);
      }
      if (name.endsWith(".npy")) {
        return new NpyDataset(path, path.resolveSibling("labels.npy"), pre);
      }
      if (name.contains("idx3")) {
        Path dir = path.toAbsolutePath().getParent();
        return new IdxDataset(
            path,
            only(
                    dir,
                    entries(dir).stream().filter(p -> isNamed(p, "idx1")).toList(),
                    "IDX label files")
                .orElse(null),
            pre);
      }
      throw EdgeoptException.invalid(
          path
              + ": unknown data format: expected .csv, .npy, IDX files or a folder of class subfolders");
    }
    List<Path> entries = entries(path);
    if (entries.isEmpty()) {
      throw EdgeoptException.invalid(
          path
              + ": the data folder is empty: expected IDX, .npy or CSV files, or one image subfolder per class");
    }
    Optional<Path> idx3 =
        only(path, entries.stream().filter(p -> isNamed(p, "idx3")).toList(), "IDX image files");
    if (idx3.isPresent()) {
      return new IdxDataset(
          idx3.get(),
          only(path, entries.stream().filter(p -> isNamed(p, "idx1")).toList(), "IDX label files")
              .orElse(null),
          pre);
    }
    Optional<Path> csv =
        only(
            path,
            entries.stream()
                .filter(
                    p ->
                        p.getFileName().toString().matches(".*\\.csv(\\.gz)?")
                            && Files.isRegularFile(p))
                .toList(),
            "CSV files");
    if (csv.isPresent()) {
      return new CsvDataset(csv.get(), labelColumn == null ? "label" : labelColumn, pre);
    }
    Optional<Path> npy =
        only(
            path,
            entries.stream()
                .filter(
                    p ->
                        p.getFileName().toString().endsWith(".npy")
                            && !p.getFileName().toString().equals("labels.npy")
                            && Files.isRegularFile(p))
                .toList(),
            ".npy sample files");
    if (npy.isPresent()) {
      return new NpyDataset(npy.get(), path.resolve("labels.npy"), pre);
    }
    return new ImageFolderDataset(path, classNames, pre);
  }

  private static List<Path> entries(Path dir) throws EdgeoptException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw EdgeoptException.invalid(dir + ": cannot list: " + e.getMessage(), e);
    }
  }

  private static boolean isNamed(Path p, String marker) {
    return Files.isRegularFile(p) && p.getFileName().toString().contains(marker);
  }

  /**
   * Returns the one file of a kind in a folder, or empty; refuses two or more, as picking one
   * would silently leave the others out (or pair images with another set's labels).
   */
  private static Optional<Path> only(Path dir, List<Path> found, String what)
      throws EdgeoptException {
    if (found.size() > 1) {
      throw EdgeoptException.invalid(
          dir
              + ": holds "
              + found.size()
              + " "
              + what
              + " ("
              + String.join(", ", found.stream().map(p -> p.getFileName().toString()).toList())
              + "): expected one; move the others out or point at the file");
    }
    return found.stream().findFirst();
  }
}
