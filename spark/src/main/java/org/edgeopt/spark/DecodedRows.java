package org.edgeopt.spark;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Row;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;

/**
 * A few rows decoded on the driver and kept in memory, readable any number of times: the first
 * samples of a table, for the parts of a validation that run on the driver.
 */
final class DecodedRows implements Dataset {
  private final float[] values;
  private final int[] labels;
  private final long[] sampleShape;
  private final int per;
  private final String description;

  /** Decodes {@code rows} with {@code decoder}, exactly as the executors decode theirs. */
  DecodedRows(List<Row> rows, RowDecoder decoder, long[] sampleShape, String description) {
    this.sampleShape = sampleShape.clone();
    this.per = (int) Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
    this.values = new float[rows.size() * per];
    this.labels = new int[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      labels[i] = decoder.decode(rows.get(i), values, i * per);
    }
    this.description = description;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) {
    int end = Math.min(labels.length, limit);
    return new Iterator<>() {
      int next;

      @Override
      public boolean hasNext() {
        return next < end;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int n = Math.min(batchSize, end - next);
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = n;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        Batch b =
            new Batch(
                Tensor.ofFloats(
                    "input", dims, Arrays.copyOfRange(values, next * per, (next + n) * per)),
                Arrays.copyOfRange(labels, next, next + n));
        next += n;
        return b;
      }
    };
  }
}
