package org.edgeopt.core.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;

/**
 * Tabular samples in a CSV file with a header row: one column holds the integer class label,
 * the others the features, in order. Read one batch at a time; gzip allowed.
 */
public final class CsvDataset implements Dataset {
  private final Path file;
  private final Preprocessing pre;
  private final int labelIndex;
  private final int columns;
  private final int count;

  /** Opens a CSV file; {@code labelColumn} names the label column. */
  public CsvDataset(Path file, String labelColumn, Preprocessing pre) throws EdgeoptException {
    this.file = file;
    this.pre = pre;
    // Every feature is normalized as channel 0: a per-channel list has nothing to apply to.
    pre.requireChannels(1, file + " (CSV features)");
    try (BufferedReader r = reader(file)) {
      String header = r.readLine();
      if (header == null) {
        throw EdgeoptException.invalid(file + ": expected a header row, found an empty file");
      }
      List<String> names = Arrays.stream(header.split(",")).map(String::strip).toList();
      labelIndex = names.indexOf(labelColumn);
      if (labelIndex < 0) {
        throw EdgeoptException.invalid(file + ": labels missing: expected a column named '" + labelColumn
            + "', found " + names);
      }
      columns = names.size();
      int n = 0;
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          n++;
        }
      }
      count = n;
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read CSV: " + e.getMessage(), e);
    }
    if (count == 0) {
      throw EdgeoptException.invalid(file + ": expected at least one data row, found none");
    }
  }

  private static BufferedReader reader(Path p) throws IOException {
    return new BufferedReader(new InputStreamReader(IdxDataset.open(p), StandardCharsets.UTF_8));
  }

  @Override
  public String describe() {
    return "CSV " + file + " (" + count + " rows, " + (columns - 1) + " features)";
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public long[] sampleShape() {
    return new long[] {columns - 1};
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) throws EdgeoptException {
    BufferedReader r;
    try {
      r = reader(file);
      r.readLine();
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read CSV: " + e.getMessage(), e);
    }
    int total = Math.min(count, limit);
    int features = columns - 1;
    return new Iterator<>() {
      int next = 0;
      int lineNo = 1;

      @Override
      public boolean hasNext() {
        if (next >= total) {
          try {
            r.close();
          } catch (IOException ignored) {
            // reading is done; nothing is lost
          }
          return false;
        }
        return true;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int n = Math.min(batchSize, total - next);
        float[] x = new float[n * features];
        int[] labels = new int[n];
        List<String> rows = new ArrayList<>(n);
        try {
          while (rows.size() < n) {
            String line = r.readLine();
            lineNo++;
            if (line == null) {
              throw new DataException(file + ": expected " + count + " rows, file ended at line " + lineNo);
            }
            if (!line.isBlank()) {
              rows.add(line);
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        for (int s = 0; s < n; s++) {
          String[] cells = rows.get(s).split(",");
          if (cells.length != columns) {
            throw new DataException(file + ": row " + (next + s + 1) + ": expected " + columns + " columns, found " + cells.length);
          }
          int f = 0;
          for (int c = 0; c < columns; c++) {
            try {
              if (c == labelIndex) {
                double label = Double.parseDouble(cells[c].strip());
                // "3.0" is the class 3 that pandas writes; "2.5" names no class, and a cast would make it 2.
                if (label != Math.rint(label) || Math.abs(label) > Integer.MAX_VALUE) {
                  throw new DataException(file + ": row " + (next + s + 1) + ", column " + (c + 1)
                      + " (the label): expected a whole class index, found '" + cells[c].strip() + "'");
                }
                labels[s] = (int) label;
              } else {
                x[s * features + f] = pre.normalize(Float.parseFloat(cells[c].strip()), 0);
                f++;
              }
            } catch (NumberFormatException e) {
              throw new DataException(file + ": row " + (next + s + 1) + ", column " + (c + 1) + ": expected a number, found '" + cells[c] + "'");
            }
          }
        }
        next += n;
        return new Batch(Tensor.ofFloats("input", new long[] {n, features}, x), labels);
      }
    };
  }
}
