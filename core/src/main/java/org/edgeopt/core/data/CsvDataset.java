package org.edgeopt.core.data;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.edgeopt.core.EdgeoptException;

/**
 * Tabular samples in a CSV file with a header row: one column holds the integer class label,
 * the others the features, in order. Read one batch at a time; gzip allowed.
 *
 * <p>Parsed by Jackson's CSV module (RFC 4180: quoted fields may hold commas, doubled quotes and
 * line breaks, as spreadsheets and pandas write them). Blank lines are skipped; spaces around an
 * unquoted value are ignored.
 */
public final class CsvDataset implements Dataset {
  private static final CsvMapper CSV =
      CsvMapper.builder()
          .enable(CsvParser.Feature.WRAP_AS_ARRAY)
          .enable(CsvParser.Feature.TRIM_SPACES)
          .build();

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
    try (MappingIterator<String[]> rows = open(file)) {
      String[] header = nextRow(rows);
      if (header == null) {
        throw EdgeoptException.invalid(file + ": expected a header row, found an empty file");
      }
      List<String> names = Arrays.stream(header).map(String::strip).toList();
      labelIndex = names.indexOf(labelColumn);
      if (labelIndex < 0) {
        throw EdgeoptException.invalid(
            file
                + ": labels missing: expected a column named '"
                + labelColumn
                + "', found "
                + names);
      }
      columns = names.size();
      int n = 0;
      while (nextRow(rows) != null) {
        n++;
      }
      count = n;
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read CSV: " + e.getMessage(), e);
    }
    if (count == 0) {
      throw EdgeoptException.invalid(file + ": expected at least one data row, found none");
    }
  }

  private static MappingIterator<String[]> open(Path p) throws IOException {
    Reader in = new InputStreamReader(IdxDataset.open(p), StandardCharsets.UTF_8);
    return CSV.readerFor(String[].class).readValues(in);
  }

  /** Returns the next row that is not blank, or null at the end of the file. */
  private static String[] nextRow(MappingIterator<String[]> rows) throws IOException {
    while (rows.hasNextValue()) {
      String[] row = rows.nextValue();
      if (row.length > 1 || row.length == 1 && !row[0].isBlank()) {
        return row;
      }
    }
    return null;
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
    MappingIterator<String[]> rows;
    try {
      rows = open(file);
      nextRow(rows);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read CSV: " + e.getMessage(), e);
    }
    int features = columns - 1;
    return new BatchReader(batchSize, Math.min(count, limit), sampleShape()) {
      @Override
      protected void read(int first, int n, float[] x, int[] labels) {
        for (int s = 0; s < n; s++) {
          int row = first + s + 1;
          String[] cells;
          try {
            cells = nextRow(rows);
          } catch (IOException e) {
            throw new DataException(
                file + ": row " + row + ": malformed CSV: " + e.getMessage(), e);
          }
          if (cells == null) {
            throw new DataException(
                file
                    + ": expected "
                    + count
                    + " rows, file ended at line "
                    + rows.getCurrentLocation().getLineNr());
          }
          if (cells.length != columns) {
            throw new DataException(
                file
                    + ": row "
                    + row
                    + ": expected "
                    + columns
                    + " columns, found "
                    + cells.length);
          }
          int f = 0;
          for (int c = 0; c < columns; c++) {
            try {
              if (c == labelIndex) {
                double label = Double.parseDouble(cells[c].strip());
                // "3.0" is the class 3 that pandas writes; "2.5" names no class, and a cast would
                // make it 2.
                if (label != Math.rint(label) || Math.abs(label) > Integer.MAX_VALUE) {
                  throw new DataException(
                      file
                          + ": row "
                          + row
                          + ", column "
                          + (c + 1)
                          + " (the label): expected a whole class index, found '"
                          + cells[c].strip()
                          + "'");
                }
                labels[s] = (int) label;
              } else {
                x[s * features + f] = pre.normalize(Float.parseFloat(cells[c].strip()), 0);
                f++;
              }
            } catch (NumberFormatException e) {
              throw new DataException(
                  file
                      + ": row "
                      + row
                      + ", column "
                      + (c + 1)
                      + ": expected a number, found '"
                      + cells[c]
                      + "'");
            }
          }
        }
      }

      @Override
      protected void close() {
        try {
          rows.close();
        } catch (IOException ignored) {
          // reading is done; nothing is lost
        }
      }
    };
  }
}
