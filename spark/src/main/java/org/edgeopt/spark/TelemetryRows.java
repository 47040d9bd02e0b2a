package org.edgeopt.spark;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.StringJoiner;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.edgeopt.deploy.TelemetryFields;
import org.edgeopt.deploy.TelemetryRecord;
import scala.collection.Iterator;

/**
 * Turns the rows of a telemetry table (Parquet, or CSV read by Spark) into {@link
 * TelemetryRecord}s with the rules of the one-machine reader: every column whose name is a
 * telemetry field ({@code docs/operations.md}) is handed to {@link TelemetryFields} as text, so a
 * value means the same in every format; other columns are skipped.
 */
final class TelemetryRows {
  /**
   * The Parquet layout edgeopt documents and its tests write: the telemetry fields with their
   * natural types. Readers accept any column order, extra columns, strings for numbers, and
   * {@code ts} as a timestamp.
   */
  static final StructType SCHEMA =
      new StructType()
          .add("device", DataTypes.StringType, false)
          .add("ts", DataTypes.LongType, false)
          .add("modelVersion", DataTypes.StringType)
          .add("predicted", DataTypes.IntegerType)
          .add("confidence", DataTypes.DoubleType)
          .add("scores", DataTypes.createArrayType(DataTypes.DoubleType))
          .add("latencyMs", DataTypes.DoubleType)
          .add("failed", DataTypes.BooleanType)
          .add("fallback", DataTypes.BooleanType)
          .add("label", DataTypes.IntegerType)
          .add("sampleId", DataTypes.StringType)
          .add("escalated", DataTypes.BooleanType);

  private TelemetryRows() {}

  /**
   * Returns the record of {@code row}.
   *
   * @param fields reused from row to row; {@code position} names the row in error messages
   * @throws org.edgeopt.core.data.DataException when a field is missing or malformed
   */
  static TelemetryRecord toRecord(Row row, TelemetryFields fields, long position) {
    fields.clear(position);
    StructType schema = row.schema();
    String[] names = schema.fieldNames();
    for (int i = 0; i < names.length; i++) {
      Object v = row.get(i);
      if (v == null) {
        continue;
      }
      if (names[i].equals("scores")) {
        fields.scoresText(scoresText(v));
      } else {
        fields.set(names[i], text(v));
      }
    }
    return fields.toRecord();
  }

  /** Returns a value as the text the one-machine reader would have seen. */
  private static String text(Object v) {
    if (v instanceof java.sql.Timestamp t) {
      return Long.toString(t.toInstant().toEpochMilli());
    }
    if (v instanceof Instant t) {
      return Long.toString(t.toEpochMilli());
    }
    if (v instanceof LocalDateTime t) {
      return Long.toString(t.toInstant(ZoneOffset.UTC).toEpochMilli());
    }
    if (v instanceof Float f) {
      // Float.toString would print the float's shortest decimal, not its exact double value.
      return Double.toString(f.doubleValue());
    }
    return v.toString(); // Double.toString round-trips exactly through Double.parseDouble
  }

  private static String scoresText(Object v) {
    if (v instanceof String s) {
      return s;
    }
    StringJoiner j = new StringJoiner(";");
    if (v instanceof scala.collection.Seq<?> seq) {
      for (Iterator<?> it = seq.iterator(); it.hasNext(); ) {
        j.add(text(it.next()));
      }
    } else if (v instanceof List<?> list) {
      list.forEach(x -> j.add(text(x)));
    } else {
      j.add(text(v));
    }
    return j.toString();
  }
}
