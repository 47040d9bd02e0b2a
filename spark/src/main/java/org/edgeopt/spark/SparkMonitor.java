package org.edgeopt.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;
import org.edgeopt.deploy.Baseline;
import org.edgeopt.deploy.Monitor;
import org.edgeopt.deploy.MonitorReport;
import org.edgeopt.deploy.MonitorThresholds;
import org.edgeopt.deploy.TelemetryFields;
import org.edgeopt.deploy.TelemetryReader;
import org.edgeopt.deploy.TelemetryRecord;
import org.edgeopt.deploy.TelemetryStatistics;
import org.edgeopt.deploy.TelemetryStatisticsCodec;
import scala.Tuple2;

/**
 * {@code monitor} on Spark: executors fold their partitions of the telemetry into {@link
 * TelemetryStatistics}, which travel to the driver in {@link TelemetryStatisticsCodec}'s form and
 * are merged by partition id (a retried task's result counts once); the driver then judges the
 * windows with {@link Monitor#judge}. The statistics merge exactly, so the report equals the
 * one-machine {@code edgeopt monitor}'s on the same records, whatever the partitioning.
 */
public final class SparkMonitor {
  /** How the telemetry is stored. */
  public enum Format {
    /** Parquet files or folders of them, columns named as the telemetry fields. */
    PARQUET,
    /** JSON Lines ({@code .jsonl}, {@code .ndjson}, {@code .json}, optionally gzip-compressed). */
    JSONL,
    /** CSV with a header row ({@code .csv}, optionally gzip-compressed); every file the same header. */
    CSV;

    /** Returns the format a path's name says, Parquet for a folder or a {@code .parquet} name. */
    static Format of(String path) {
      String name = path.toLowerCase(Locale.ROOT);
      name = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
      if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
        return JSONL;
      }
      return name.endsWith(".csv") ? CSV : PARQUET;
    }
  }

  private SparkMonitor() {}

  /**
   * Folds and merges the telemetry's statistics.
   *
   * @param paths files or folders, local or any Hadoop filesystem URI
   * @param format the format of every path, or {@code null} to tell each by its name
   * @param partitions partitions to cut the records into; 0 keeps the sources' own
   * @param empty empty statistics of the run (classes, window, model version, top-K)
   * @throws EdgeoptException (exit 3) when a record is malformed or a path cannot be read
   */
  public static TelemetryStatistics fold(
      SparkSession spark,
      List<String> paths,
      Format format,
      int partitions,
      TelemetryStatistics empty)
      throws EdgeoptException {
    Map<Format, List<String>> byFormat = new LinkedHashMap<>();
    for (String p : paths) {
      byFormat
          .computeIfAbsent(format != null ? format : Format.of(p), f -> new ArrayList<>())
          .add(p);
    }
    JavaRDD<TelemetryRecord> records = null;
    try {
      for (Map.Entry<Format, List<String>> e : byFormat.entrySet()) {
        JavaRDD<TelemetryRecord> part = read(spark, e.getKey(), e.getValue());
        records = records == null ? part : records.union(part);
      }
    } catch (RuntimeException e) { // AnalysisException (a missing path) is undeclared in Java
      throw EdgeoptException.invalid(
          String.join(", ", paths) + ": cannot read the telemetry: " + firstLine(e), e);
    }
    if (partitions > 0) {
      records = records.repartition(partitions);
    }
    byte[] template = TelemetryStatisticsCodec.encode(empty);
    JavaRDD<Tuple2<Integer, byte[]>> folded =
        records.mapPartitionsWithIndex(
            (index, it) -> {
              TelemetryStatistics s = TelemetryStatisticsCodec.decode(template);
              long n = 0;
              try {
                while (it.hasNext()) {
                  s.add(it.next(), "telemetry partition " + index, ++n);
                }
              } catch (DataException e) {
                throw EdgeoptException.invalid(e.getMessage(), e);
              }
              return List.of(new Tuple2<>(index, TelemetryStatisticsCodec.encode(s))).iterator();
            },
            false);
    List<Tuple2<Integer, byte[]>> collected;
    try {
      collected = folded.collect();
    } catch (Exception e) { // SparkException is checked, but Scala throws it undeclared
      throw unwrap(e);
    }
    // One result per partition id: Spark keeps one successful attempt of each task, and the
    // check makes a second one an error rather than a double count.
    SortedMap<Integer, byte[]> byPartition = new TreeMap<>();
    for (Tuple2<Integer, byte[]> t : collected) {
      if (byPartition.put(t._1(), t._2()) != null) {
        throw new IllegalStateException("partition " + t._1() + " returned two results");
      }
    }
    TelemetryStatistics merged = TelemetryStatisticsCodec.decode(template);
    byPartition.values().forEach(b -> merged.merge(TelemetryStatisticsCodec.decode(b)));
    return merged;
  }

  /** Folds the telemetry and judges every window, as {@link Monitor#run} does on one machine. */
  public static MonitorReport run(
      SparkSession spark,
      Baseline baseline,
      String model,
      MonitorThresholds thresholds,
      List<String> paths,
      Format format,
      int partitions,
      TelemetryStatistics empty)
      throws EdgeoptException {
    return Monitor.judge(
        baseline,
        model,
        thresholds,
        fold(spark, paths, format, partitions, empty),
        String.join(", ", paths));
  }

  private static JavaRDD<TelemetryRecord> read(SparkSession spark, Format f, List<String> paths) {
    String[] p = paths.toArray(String[]::new);
    return switch (f) {
      case PARQUET ->
          rows(spark.read().parquet(p).javaRDD(), "Parquet " + String.join(", ", paths));
      case CSV ->
          rows(
              spark.read().option("header", "true").csv(p).javaRDD(),
              "CSV " + String.join(", ", paths));
      case JSONL ->
          spark
              .read()
              .text(p)
              .select(functions.col("value"), functions.input_file_name())
              .javaRDD()
              .mapPartitionsWithIndex(
                  (index, it) -> {
                    long[] n = {0};
                    // Lazily, a line at a time: a split is never held in memory.
                    return stream(it)
                        .map(
                            line ->
                                TelemetryReader.readJsonLine(
                                    line.getString(1) + ", split " + index + ", line",
                                    ++n[0],
                                    line.getString(0)))
                        .filter(java.util.Objects::nonNull)
                        .iterator();
                  },
                  false);
    };
  }

  private static JavaRDD<TelemetryRecord> rows(JavaRDD<Row> rows, String where) {
    return rows.mapPartitionsWithIndex(
        (index, it) -> {
          TelemetryFields fields = new TelemetryFields(where + ", partition " + index + ", row");
          long[] n = {0};
          return stream(it).map(row -> TelemetryRows.toRecord(row, fields, ++n[0])).iterator();
        },
        false);
  }

  private static <T> Stream<T> stream(Iterator<T> it) {
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false);
  }

  /**
   * Returns the executor's error as the driver's: a malformed record (thrown while Spark moved
   * records between stages) is invalid input, like the one-machine reader's.
   */
  private static EdgeoptException unwrap(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof EdgeoptException) {
        break;
      }
      if (c instanceof DataException d) {
        return EdgeoptException.invalid(d.getMessage(), e);
      }
    }
    return PartitionRunner.unwrap(e);
  }

  private static String firstLine(Throwable e) {
    return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
  }
}
