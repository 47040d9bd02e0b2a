package org.edgeopt.spark;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Row;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;

/**
 * The rows of one Spark partition as a data set, decoded one batch at a time (memory does not grow
 * with the partition), hashing every sample it hands out into a {@link SampleSetHash}. It can be
 * iterated once.
 */
final class RowDataset implements Dataset {
  private final Iterator<Row> rows;
  private final RowDecoder decoder;
  private final long[] sampleShape;
  private final String where;
  private final SampleSetHash hash = new SampleSetHash();
  private boolean iterated;

  RowDataset(Iterator<Row> rows, RowDecoder decoder, long[] sampleShape, String where) {
    this.rows = rows;
    this.decoder = decoder;
    this.sampleShape = sampleShape.clone();
    this.where = where;
  }

  /** Returns the partial hash of the samples handed out so far. */
  byte[] sampleSetPartial() {
    return hash.partial();
  }

  @Override
  public String describe() {
    return where;
  }

  /** Unknown until read: as many as the partition holds. */
  @Override
  public int size() {
    return Integer.MAX_VALUE;
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) {
    if (iterated) {
      throw new IllegalStateException(where + ": the rows of a partition can be read once");
    }
    iterated = true;
    int per = (int) Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
    return new Iterator<>() {
      int handed;

      @Override
      public boolean hasNext() {
        return handed < limit && rows.hasNext();
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        float[] out = new float[batchSize * per];
        int[] labels = new int[batchSize];
        int n = 0;
        while (n < batchSize && handed < limit && rows.hasNext()) {
          labels[n] = decoder.decode(rows.next(), out, n * per);
          hash.add(out, n * per, per);
          n++;
          handed++;
        }
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = n;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        return new Batch(
            Tensor.ofFloats("input", dims, n == batchSize ? out : Arrays.copyOf(out, n * per)),
            n == batchSize ? labels : Arrays.copyOf(labels, n));
      }
    };
  }
}
