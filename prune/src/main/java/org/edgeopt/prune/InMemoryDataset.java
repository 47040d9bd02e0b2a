package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Tensor;

/**
 * A data set read once into memory, so a search that evaluates a hundred candidates decodes
 * and preprocesses the images once instead of a hundred times.
 */
final class InMemoryDataset implements Dataset {
  /** Data sets larger than this stay streamed from disk. */
  static final long MAX_BYTES = 256L << 20;

  private final String description;
  private final long[] sampleShape;
  private final float[] values;
  private final int[] labels;

  private InMemoryDataset(String description, long[] sampleShape, float[] values, int[] labels) {
    this.description = description;
    this.sampleShape = sampleShape;
    this.values = values;
    this.labels = labels;
  }

  /** Returns {@code data} held in memory when its float samples fit in {@link #MAX_BYTES}, else {@code data} itself. */
  static Dataset of(Dataset data) throws EdgeoptException {
    long per = 1;
    for (long d : data.sampleShape()) {
      per *= Math.max(d, 1);
    }
    if (data instanceof InMemoryDataset || per * data.size() * 4 > MAX_BYTES) {
      return data;
    }
    float[] v = new float[(int) (per * data.size())];
    int[] y = new int[data.size()];
    int n = 0;
    Iterator<Batch> it = data.batches(256);
    while (it.hasNext()) {
      Batch b = it.next();
      if (b.input().dataType() != DataType.FLOAT
          || b.input().elementCount() != per * b.size()
          || n + b.size() > y.length) {
        return data;
      }
      System.arraycopy(b.input().toFloats(), 0, v, (int) (n * per), (int) (per * b.size()));
      System.arraycopy(b.labels(), 0, y, n, b.size());
      n += b.size();
    }
    return new InMemoryDataset(
        data.describe(),
        data.sampleShape(),
        Arrays.copyOf(v, (int) (n * per)),
        Arrays.copyOf(y, n));
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
    int per = labels.length == 0 ? 0 : values.length / labels.length;
    int total = Math.min(limit, labels.length);
    List<int[]> ranges = new ArrayList<>();
    for (int start = 0; start < total; start += batchSize) {
      ranges.add(new int[] {start, Math.min(batchSize, total - start)});
    }
    Iterator<int[]> r = ranges.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return r.hasNext();
      }

      @Override
      public Batch next() {
        int[] s = r.next();
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = s[1];
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        float[] x = Arrays.copyOfRange(values, s[0] * per, (s[0] + s[1]) * per);
        return new Batch(
            Tensor.ofFloats("input", dims, x), Arrays.copyOfRange(labels, s[0], s[0] + s[1]));
      }
    };
  }
}
