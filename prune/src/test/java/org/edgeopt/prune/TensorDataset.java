package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;

/** An in-memory data set of seeded random samples labelled by a teacher model's own top-1 prediction. */
final class TensorDataset implements Dataset {
  private final long[] sampleShape;
  private final float[] data;
  private final int[] labels;

  private TensorDataset(long[] sampleShape, float[] data, int[] labels) {
    this.sampleShape = sampleShape;
    this.data = data;
    this.labels = labels;
  }

  /** Returns {@code n} random samples of {@code shape}, labelled by {@code teacher}'s top-1. */
  static TensorDataset labelledBy(Graph teacher, long[] shape, int n, long seed, float scale)
      throws Exception {
    int per = 1;
    for (long d : shape) {
      per *= (int) d;
    }
    float[] x = TestModels.random(seed, n * per, scale);
    long[] dims = new long[shape.length + 1];
    dims[0] = n;
    System.arraycopy(shape, 0, dims, 1, shape.length);
    String in = teacher.inputs().get(0).name();
    try (InferenceSession s =
        OrtRuntime.get().open(teacher, SessionOptions.defaults().withThreads(1))) {
      Tensor out = s.run(Map.of(in, Tensor.ofFloats(in, dims, x))).values().iterator().next();
      return new TensorDataset(shape.clone(), x, BatchRunner.top1(out));
    }
  }

  @Override
  public String describe() {
    return "random samples (" + labels.length + ")";
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
    int per = data.length / labels.length;
    int total = Math.min(limit, labels.length);
    List<Batch> out = new ArrayList<>();
    for (int start = 0; start < total; start += batchSize) {
      int n = Math.min(batchSize, total - start);
      float[] x = new float[n * per];
      System.arraycopy(data, start * per, x, 0, n * per);
      long[] dims = new long[sampleShape.length + 1];
      dims[0] = n;
      System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
      out.add(
          new Batch(
              Tensor.ofFloats("input", dims, x),
              java.util.Arrays.copyOfRange(labels, start, start + n)));
    }
    return out.iterator();
  }
}
