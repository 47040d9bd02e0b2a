package org.edgeopt.spark;

import java.io.Serializable;
import java.util.SortedMap;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;

/**
 * Where the samples come from: files every executor can read (IDX, npy, CSV, an image folder),
 * a Parquet table, or image files read by Spark's {@code binaryFile} source.
 */
public sealed interface SampleSource extends Serializable
    permits FileSource, ParquetSource, BinaryFileSource {

  /** Returns a one-line description for errors and provenance. */
  String describe();

  /**
   * Runs {@code job} on the executors over every non-empty partition of the first
   * {@code settings.limit()} samples and returns the results by partition id. Each partition's
   * result is the one of its successful attempt: Spark's retries of a failed or lost task never
   * show twice.
   *
   * @throws EdgeoptException when the data cannot be read or the job fails
   */
  SortedMap<Integer, byte[]> run(SparkSession spark, SourceSettings settings, PartitionJob job)
      throws EdgeoptException;
}
