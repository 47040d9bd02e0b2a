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
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
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
      Fields f = new Fields(file);
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
        sink.accept(f.toRecord());
      }
    } catch (JsonParseException e) {
      throw new DataException(
          file + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage(),
          e);
    }
  }

  private static double[] readScores(JsonParser p, Fields f) throws IOException {
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
      Fields f = new Fields(file);
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
              f.scores(csvScores(row[i], f));
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

  private static double[] csvScores(String text, Fields f) {
    double best = 0;
    double second = 0;
    String[] parts = text.split(";");
    for (String s : parts) {
      double v = f.number("scores", s.strip());
      if (!(v >= 0 && v <= 1)) {
        throw f.bad("scores", text, "';'-separated probabilities in [0, 1]");
      }
      if (v > best) {
        second = best;
        best = v;
      } else if (v > second) {
        second = v;
      }
    }
    return parts.length >= 2 ? new double[] {best, second} : null;
  }

  /** The fields of the record being read; reused from record to record. */
  private static final class Fields {
    private final Path file;
    private final Map<String, String> deviceIds = new HashMap<>();
    private long line;
    private String device;
    private String timestamp;
    private String modelVersion;
    private String predicted;
    private String confidence;
    private double[] topTwo;
    private String latency;
    private String failed;
    private String fallback;
    private String label;
    private String sampleId;
    private String escalated;

    Fields(Path file) {
      this.file = file;
    }

    void clear(long lineNr) {
      line = lineNr;
      device =
          timestamp =
              modelVersion =
                  predicted =
                      confidence =
                          latency = failed = fallback = label = sampleId = escalated = null;
      topTwo = null;
    }

    void scores(double[] top) {
      topTwo = top;
    }

    void set(String key, String value) {
      switch (key) {
        case "device" -> device = value;
        case "ts" -> timestamp = value;
        case "modelVersion" -> modelVersion = value;
        case "predicted" -> predicted = value;
        case "confidence" -> confidence = value;
        case "latencyMs" -> latency = value;
        case "failed" -> failed = value;
        case "fallback" -> fallback = value;
        case "label" -> label = value;
        case "sampleId" -> sampleId = value;
        case "escalated" -> escalated = value;
        default -> {
          // Fields edgeopt does not read (device metadata, app fields) are allowed and skipped.
        }
      }
    }

    TelemetryRecord toRecord() {
      if (device == null || device.isEmpty()) {
        throw bad("device", null, "a device id");
      }
      if (timestamp == null) {
        throw bad("ts", null, "a timestamp (epoch milliseconds or ISO-8601)");
      }
      boolean isFailed = flag("failed", failed);
      int cls = -1;
      double conf = Double.NaN;
      double margin = Double.NaN;
      if (!isFailed) {
        if (predicted == null || confidence == null) {
          throw bad(
              predicted == null ? "predicted" : "confidence",
              null,
              "a prediction unless failed is true");
        }
        cls = integer("predicted", predicted);
        conf = number("confidence", confidence);
        if (!(conf >= 0 && conf <= 1)) {
          throw bad("confidence", confidence, "a probability in [0, 1]");
        }
        if (topTwo != null) {
          margin = topTwo[0] - topTwo[1];
        }
      }
      double lat = latency == null ? Double.NaN : number("latencyMs", latency);
      if (!(Double.isNaN(lat) || lat >= 0)) {
        throw bad("latencyMs", latency, "a non-negative number of milliseconds");
      }
      // Device ids repeat millions of times: keep one String per id rather than one per record.
      String id = deviceIds.computeIfAbsent(device, d -> d);
      return new TelemetryRecord(
          id,
          time(timestamp),
          modelVersion,
          isFailed,
          flag("fallback", fallback),
          cls,
          conf,
          margin,
          lat,
          label == null ? -1 : integer("label", label),
          sampleId,
          escalated == null ? null : flag("escalated", escalated));
    }

    private long time(String text) {
      char c = text.isEmpty() ? ' ' : text.charAt(0);
      if (c >= '0' && c <= '9' && text.indexOf('-') < 0) {
        return (long) number("ts", text);
      }
      try {
        return Instant.parse(text).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw bad(
            "ts", text, "epoch milliseconds or an ISO-8601 instant such as 2026-12-03T10:15:00Z");
      }
    }

    private boolean flag(String key, String text) {
      if (text == null || text.equals("false") || text.equals("0")) {
        return false;
      }
      if (text.equals("true") || text.equals("1")) {
        return true;
      }
      throw bad(key, text, "true or false");
    }

    private int integer(String key, String text) {
      try {
        return Integer.parseInt(text);
      } catch (NumberFormatException e) {
        throw bad(key, text, "an integer");
      }
    }

    double number(String key, String text) {
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw bad(key, text, "a number");
      }
    }

    DataException bad(String key, String found, String expected) {
      return new DataException(
          file
              + ":"
              + line
              + ": field '"
              + key
              + "': expected "
              + expected
              + ", found "
              + (found == null ? "nothing" : "'" + found + "'"));
    }
  }
}
