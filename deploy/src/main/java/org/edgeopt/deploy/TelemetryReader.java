package org.edgeopt.deploy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.edgeopt.core.data.DataException;

/**
 * Streams telemetry records from JSON Lines ({@code .jsonl}, {@code .ndjson}) or CSV
 * ({@code .csv}) files, gzip-compressed or not, one record at a time: nothing but the current
 * record is held, however long the file.
 *
 * <p>Both formats carry the same fields under the same names (see {@code docs/operations.md}).
 * A malformed record is a {@link DataException} naming the file and line.
 */
public final class TelemetryReader {
  private static final JsonFactory JSON = new JsonFactory();
  private static final CsvMapper CSV = new CsvMapper();

  private TelemetryReader() {}

  /** Reads every record of {@code file} into {@code sink}, in file order. */
  public static void read(Path file, Consumer<TelemetryRecord> sink) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    String plain = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    try (InputStream in = open(file, name.endsWith(".gz"))) {
      if (plain.endsWith(".jsonl") || plain.endsWith(".ndjson") || plain.endsWith(".json")) {
        readJson(file, in, sink);
      } else if (plain.endsWith(".csv")) {
        readCsv(file, in, sink);
      } else {
        throw new DataException(
            file + ": unknown telemetry format: expected .jsonl, .ndjson or .csv (optionally .gz)");
      }
    } catch (IOException e) {
      throw new DataException(file + ": cannot read telemetry: " + e.getMessage(), e);
    }
  }

  private static InputStream open(Path file, boolean gzip) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new DataException(file + ": telemetry file not found");
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    return gzip ? new GZIPInputStream(in, 1 << 16) : in;
  }

  private static void readJson(Path file, InputStream in, Consumer<TelemetryRecord> sink)
      throws IOException {
    try (JsonParser p = JSON.createParser(in)) {
      TelemetryFields f = new TelemetryFields(file.toString());
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t != JsonToken.START_OBJECT) {
          throw new DataException(
              file
                  + ":"
                  + p.currentLocation().getLineNr()
                  + ": expected one JSON object per line, found "
                  + t);
        }
        f.clear(p.currentLocation().getLineNr());
        sink.accept(readObject(p, f));
      }
    } catch (JsonParseException e) {
      throw new DataException(
          file + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage(),
          e);
    }
  }

  /**
   * Returns the record of one JSON Lines line (what a distributed reader that splits files into
   * lines has), or {@code null} for a blank line.
   *
   * @param source the file, for error messages
   * @param line the line's number or position, for error messages
   * @throws DataException when the line is not one valid record
   */
  public static TelemetryRecord readJsonLine(String source, long line, String text) {
    if (text.isBlank()) {
      return null;
    }
    try (JsonParser p = JSON.createParser(text)) {
      TelemetryFields f = new TelemetryFields(source);
      f.clear(line);
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        throw new DataException(
            source + ":" + line + ": expected one JSON object per line, found " + t);
      }
      TelemetryRecord r = readObject(p, f);
      if (p.nextToken() != null) {
        throw new DataException(source + ":" + line + ": expected one JSON object per line");
      }
      return r;
    } catch (JsonParseException e) {
      throw new DataException(
          source + ":" + line + ": not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new DataException(source + ":" + line + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads the fields of the object whose start the parser is at, up to its end. */
  private static TelemetryRecord readObject(JsonParser p, TelemetryFields f) throws IOException {
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      t = p.nextToken();
      if (t == JsonToken.START_ARRAY && key.equals("scores")) {
        f.scores(readScores(p, f));
      } else if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
        p.skipChildren();
      } else if (t != JsonToken.VALUE_NULL) {
        f.set(key, p.getText());
      }
    }
    return f.toRecord();
  }

  private static double[] readScores(JsonParser p, TelemetryFields f) throws IOException {
    double best = 0;
    double second = 0;
    int n = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      double v = p.getValueAsDouble(Double.NaN);
      if (!(v >= 0 && v <= 1)) {
        throw f.bad("scores", p.getText(), "probabilities in [0, 1]");
      }
      if (v > best) {
        second = best;
        best = v;
      } else if (v > second) {
        second = v;
      }
      n++;
    }
    return n >= 2 ? new double[] {best, second} : null;
  }

  private static void readCsv(Path file, InputStream in, Consumer<TelemetryRecord> sink)
      throws IOException {
    try (MappingIterator<String[]> rows =
        CSV.readerForArrayOf(String.class).with(CsvParser.Feature.WRAP_AS_ARRAY).readValues(in)) {
      if (!rows.hasNext()) {
        throw new DataException(file + ": empty telemetry file: expected a header row");
      }
      String[] header = rows.next();
      TelemetryFields f = new TelemetryFields(file.toString());
      long line = 1;
      while (rows.hasNext()) {
        String[] row = rows.next();
        line++;
        if (row.length == 1 && row[0].isBlank()) {
          continue;
        }
        if (row.length != header.length) {
          throw new DataException(
              file
                  + ":"
                  + line
                  + ": "
                  + row.length
                  + " columns: expected "
                  + header.length
                  + " as in the header");
        }
        f.clear(line);
        for (int i = 0; i < header.length; i++) {
          if (!row[i].isEmpty()) {
            if (header[i].equals("scores")) {
              f.scoresText(row[i]);
            } else {
              f.set(header[i], row[i]);
            }
          }
        }
        sink.accept(f.toRecord());
      }
    } catch (RuntimeException e) {
      if (e instanceof DataException) {
        throw e;
      }
      throw new DataException(file + ": not valid CSV: " + e.getMessage(), e);
    }
  }
}
