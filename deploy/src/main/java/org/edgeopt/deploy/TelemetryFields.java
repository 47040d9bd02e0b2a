package org.edgeopt.deploy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import org.edgeopt.core.data.DataException;

/**
 * The fields of the telemetry record being read, as text, and the rules that turn them into a
 * {@link TelemetryRecord}: one set of rules for every format (JSON Lines, CSV, and Spark's
 * Parquet rows, whose values the spark module hands over as text). Reused from record to record.
 */
public final class TelemetryFields {
  private final String file;
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

  /** Creates the fields of records from {@code source} (a file name, for error messages). */
  public TelemetryFields(String source) {
    this.file = source;
  }

  /** Forgets the last record; {@code lineNr} is the next one's line, for error messages. */
  public void clear(long lineNr) {
    line = lineNr;
    device =
        timestamp =
            modelVersion =
                predicted =
                    confidence = latency = failed = fallback = label = sampleId = escalated = null;
    topTwo = null;
  }

  /** Sets the top two scores (null when fewer than two were logged). */
  void scores(double[] top) {
    topTwo = top;
  }

  /** Sets one field by its name in {@code docs/operations.md}; unknown names are skipped. */
  public void set(String key, String value) {
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

  /**
   * Returns the record.
   *
   * @throws DataException naming the source, line and field when a field is missing or malformed
   */
  public TelemetryRecord toRecord() {
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

  /** Sets the scores from their text form, ';'-separated probabilities. */
  public void scoresText(String text) {
    topTwo = topTwoOf(text);
  }

  private double[] topTwoOf(String text) {
    double best = 0;
    double second = 0;
    String[] parts = text.split(";");
    for (String s : parts) {
      double v = number("scores", s.strip());
      if (!(v >= 0 && v <= 1)) {
        throw bad("scores", text, "';'-separated probabilities in [0, 1]");
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
}
