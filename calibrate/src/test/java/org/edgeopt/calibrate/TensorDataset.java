package org.edgeopt.calibrate;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.testing.TestModels;

/** An in-memory data set over one float tensor {@code [N, ...]}, for tests and the golden file. */
final class TensorDataset implements Dataset {
  private final String name;
  private final float[] values;
  private final long[] sampleShape;
  private final int count;
  private final int perSample;

  TensorDataset(String name, long[] dims, float[] values) {
    this.name = name;
    this.values = values.clone();
    this.count = (int) dims[0];
    this.sampleShape = Arrays.copyOfRange(dims, 1, dims.length);
    this.perSample = values.length / count;
  }

  /** Returns {@code n} seeded inputs for {@link TestModels#smallCnn}. */
  static TensorDataset smallCnn(long seed, int n) {
    return of("smallCnn seed " + seed, TestModels.smallCnnInput(seed, n));
  }

  static TensorDataset of(String name, Tensor t) {
    return new TensorDataset(name, t.dims(), t.toFloats());
  }

  /** Returns samples {@code [from, to)} as a data set of their own. */
  TensorDataset slice(int from, int to) {
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = to - from;
    System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
    return new TensorDataset(
        name + " [" + from + ", " + to + ")",
        dims,
        Arrays.copyOfRange(values, from * perSample, to * perSample));
  }

  @Override
  public String describe() {
    return "tensors " + name + " (" + count + " samples)";
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) {
    int total = Math.min(count, limit);
    return new Iterator<>() {
      int next;

      @Override
      public boolean hasNext() {
        return next < total;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int n = Math.min(batchSize, total - next);
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = n;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        float[] x = Arrays.copyOfRange(values, next * perSample, (next + n) * perSample);
        next += n;
        return new Batch(Tensor.ofFloats("input", dims, x), new int[n]);
      }
    };
  }
}
