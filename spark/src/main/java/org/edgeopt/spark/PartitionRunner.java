package org.edgeopt.spark;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Dataset;
import scala.Tuple2;

/**
 * Runs a {@link PartitionJob} on every partition of an RDD and collects one result per
 * partition id, turning an executor's {@link EdgeoptException} back into the same exception on
 * the driver.
 */
final class PartitionRunner {
  private PartitionRunner() {}

  /** Opens the samples of one partition from its rows; returns null for a partition without samples. */
  @FunctionalInterface
  interface PartitionReader<T> extends Serializable {
    Dataset open(int partition, Iterator<T> rows) throws EdgeoptException;
  }

  /** Returns the job's result for every non-empty partition, by partition id. */
  static <T> SortedMap<Integer, byte[]> run(
      JavaRDD<T> rdd, PartitionReader<T> reader, PartitionJob job) throws EdgeoptException {
    JavaRDD<Tuple2<Integer, byte[]>> results =
        rdd.mapPartitionsWithIndex(
            (index, rows) -> {
              try {
                Dataset samples = reader.open(index, rows);
                if (samples == null) {
                  return Collections.emptyIterator();
                }
                return List.of(new Tuple2<>(index, job.run(samples))).iterator();
              } catch (DataException e) {
                throw EdgeoptException.invalid(e.getMessage(), e);
              }
            },
            false);
    List<Tuple2<Integer, byte[]>> collected;
    try {
      collected = results.collect();
    } catch (Exception e) { // SparkException is checked, but Scala throws it undeclared
      throw unwrap(e);
    }
    SortedMap<Integer, byte[]> byPartition = new TreeMap<>();
    for (Tuple2<Integer, byte[]> t : collected) {
      if (byPartition.put(t._1(), t._2()) != null) {
        throw new IllegalStateException("partition " + t._1() + " returned two results");
      }
    }
    return byPartition;
  }

  /** Returns the executor's own error when Spark carried it back, else an internal error naming Spark's. */
  static EdgeoptException unwrap(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof EdgeoptException ee) {
        return new EdgeoptException(ee.exitCode(), ee.getMessage(), e);
      }
    }
    String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    // Exit code 139 is a SIGSEGV: ONNX Runtime 1.29's native library does that when the executor
    // JVM's command line is longer than about 3,900 bytes (docs/scale-out.md).
    String hint =
        first.contains("exited with code 139")
            ? " (an executor JVM crashed: if its command line is long, shorten spark.executor.extraClassPath and"
                + " extraJavaOptions, see docs/scale-out.md)"
            : "";
    return new EdgeoptException(ExitCode.INTERNAL, "the Spark job failed: " + first + hint, e);
  }
}
