package org.edgeopt.quantize;

import java.util.Iterator;
import java.util.List;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;

/** An in-memory data set of ready batches (unlabelled), for tests on generated models. */
final class TensorDataset implements Dataset {
  private final List<Tensor> batches;

  TensorDataset(List<Tensor> batches) {
    this.batches = List.copyOf(batches);
  }

  @Override
  public String describe() {
    return "in-memory (" + size() + " samples)";
  }

  @Override
  public int size() {
    return batches.stream().mapToInt(t -> (int) t.dim(0)).sum();
  }

  @Override
  public long[] sampleShape() {
    long[] d = batches.get(0).dims();
    return java.util.Arrays.copyOfRange(d, 1, d.length);
  }

  /** Returns the stored batches as they are (the batch size asked for is ignored), up to {@code limit} samples. */
  @Override
  public Iterator<Batch> batches(int batchSize, int limit) {
    Iterator<Tensor> it = batches.iterator();
    return new Iterator<>() {
      int seen;

      @Override
      public boolean hasNext() {
        return seen < limit && it.hasNext();
      }

      @Override
      public Batch next() {
        Tensor t = it.next();
        seen += (int) t.dim(0);
        int[] labels = new int[(int) t.dim(0)];
        java.util.Arrays.fill(labels, -1);
        return new Batch(t, labels);
      }
    };
  }
}
