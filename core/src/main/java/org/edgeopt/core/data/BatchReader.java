package org.edgeopt.core.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.edgeopt.core.graph.Tensor;

/**
 * The batch iterator every {@link Dataset} reader shares: it counts samples up to the limit,
 * sizes each batch, shapes the input tensor and releases the source after the last batch; a
 * reader only fills one batch's features and labels.
 */
abstract class BatchReader implements Iterator<Batch> {
  private final int batchSize;
  private final int total;
  private final long[] sampleShape;
  private final int sampleElements;
  private int next;
  private boolean closed;

  /**
   * Reads {@code total} samples of {@code sampleShape} in batches of at most {@code batchSize}.
   */
  BatchReader(int batchSize, int total, long[] sampleShape) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    this.batchSize = batchSize;
    this.total = total;
    this.sampleShape = sampleShape.clone();
    long elements = 1;
    for (long d : sampleShape) {
      elements *= d;
    }
    this.sampleElements = Math.toIntExact(elements);
  }

  /**
   * Reads samples {@code first} to {@code first + count - 1} into {@code features} (row-major,
   * {@code count} samples of the sample shape's element count, already normalized) and
   * {@code labels}.
   *
   * @throws DataException if the data is truncated or malformed
   */
  protected abstract void read(int first, int count, float[] features, int[] labels);

  /** Releases the source (a stream) once the last batch is read; nothing by default. */
  protected void close() {}

  @Override
  public final boolean hasNext() {
    if (next < total) {
      return true;
    }
    if (!closed) {
      closed = true;
      close();
    }
    return false;
  }

  @Override
  public final Batch next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    int n = Math.min(batchSize, total - next);
    float[] features = new float[Math.multiplyExact(n, sampleElements)];
    int[] labels = new int[n];
    read(next, n, features, labels);
    next += n;
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = n;
    System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
    return new Batch(Tensor.ofFloats("input", dims, features), labels);
  }
}
