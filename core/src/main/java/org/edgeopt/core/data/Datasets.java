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
  public static Dataset open(Path path, Preprocessing pre, List<String> classNames, String labelColumn)
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
        return new IdxDataset(path, find(path.getParent(), "idx1").orElse(null), pre);
      }
      throw EdgeoptException.invalid(path + ": unknown data format: expected .csv, .npy, IDX files or a folder of class subfolders");
    }
    List<Path> entries;
    try (Stream<Path> s = Files.list(path)) {
      entries = s.sorted().toList();
    } catch (IOException e) {
      throw EdgeoptException.invalid(path + ": cannot list: " + e.getMessage(), e);
    }
    if (entries.isEmpty()) {
      throw EdgeoptException.invalid(path + ": the data folder is empty: expected IDX, .npy or CSV files, or one image subfolder per class");
    }
    Optional<Path> idx3 = find(path, "idx3");
    if (idx3.isPresent()) {
      return new IdxDataset(idx3.get(), find(path, "idx1").orElse(null), pre);
    }
    Optional<Path> csv = entries.stream().filter(p -> p.getFileName().toString().matches(".*\\.csv(\\.gz)?")).findFirst();
    if (csv.isPresent()) {
      return new CsvDataset(csv.get(), labelColumn == null ? "label" : labelColumn, pre);
    }
    Optional<Path> npy = entries.stream()
        .filter(p -> p.getFileName().toString().endsWith(".npy") && !p.getFileName().toString().equals("labels.npy")).findFirst();
    if (npy.isPresent()) {
      return new NpyDataset(npy.get(), path.resolve("labels.npy"), pre);
    }
    return new ImageFolderDataset(path, classNames, pre);
  }

  private static Optional<Path> find(Path dir, String marker) throws EdgeoptException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().contains(marker)).sorted().findFirst();
    } catch (IOException e) {
      throw EdgeoptException.invalid(dir + ": cannot list: " + e.getMessage(), e);
    }
  }
}
