package org.edgeopt.spark;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;

/**
 * A source Spark reads as a table with one sample per row (Parquet, {@code binaryFile}): what the
 * driver needs besides the executors' pass to validate on it, namely the first rows and the
 * fingerprint of the files.
 */
interface TableSource {
  /** Returns the table's location as given. */
  String uri();

  /** Returns a one-line description for errors and the report. */
  String describe();

  /** Returns the rows (sample, label, then optionally a name for errors) and how to decode them. */
  Table table(SparkSession spark, SourceSettings settings) throws EdgeoptException;

  /**
   * Returns the first {@code k} rows, in the order in which {@code --limit} counts the first
   * samples, so the driver's samples are the pass's first ones on every run.
   */
  default List<Row> head(Table table, int k) {
    return table.rows().javaRDD().take(k);
  }

  /** Returns the SHA-256 identifying the files read (see {@link #sha256Of()}). */
  String sha256(SparkSession spark, Table table) throws EdgeoptException;

  /** Returns what {@link #sha256} is computed over, for the report's provenance. */
  String sha256Of();

  /**
   * A source's rows and their decoder.
   *
   * @param rows the sample column, the label column when there is one, then optionally a name
   * @param decoder turns a row into a preprocessed sample
   */
  record Table(Dataset<Row> rows, RowDecoder decoder) {}
}
