package org.edgeopt.spark;

import java.util.SortedMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.edgeopt.core.EdgeoptException;

/** Runs a job over the rows of a Spark table: the first samples only when limited, in the partitions asked for. */
final class RowSources {
  private RowSources() {}

  static SortedMap<Integer, byte[]> run(
      Dataset<Row> rows,
      SourceSettings settings,
      RowDecoder decoder,
      String where,
      PartitionJob job)
      throws EdgeoptException {
    JavaRDD<Row> rdd = rows.javaRDD();
    if (settings.limit() < Integer.MAX_VALUE) {
      // The first N rows in the table's order: numbered across partitions, then filtered.
      long limit = settings.limit();
      rdd = rdd.zipWithIndex().filter(t -> t._2() < limit).map(t -> t._1());
    }
    if (settings.partitions() > 0) {
      rdd = rdd.repartition(settings.partitions());
    }
    long[] shape = settings.sampleShape();
    return PartitionRunner.run(
        rdd,
        (index, it) ->
            it.hasNext()
                ? new RowDataset(it, decoder, shape, where + ", partition " + index)
                : null,
        job);
  }
}
