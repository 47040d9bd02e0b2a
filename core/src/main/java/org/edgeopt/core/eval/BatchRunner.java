package org.edgeopt.core.eval;

import java.util.Iterator;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.runtime.InferenceSession;

/**
 * Runs a single-input model over a data set batch by batch and hands each batch's output to a
 * consumer, so nothing but one batch is ever held.
 *
 * <p>A model whose input has a fixed batch dimension (mnist-7 takes exactly one image) is fed
 * batches of that size.
 */
public final class BatchRunner {
  private BatchRunner() {}

  /** Receives each batch with the model's first output for it. */
  @FunctionalInterface
  public interface Sink {
    /** Called once per batch, in data set order. */
    void accept(Batch batch, Tensor output) throws EdgeoptException;
  }

  /** Returns the batch size to use: the model's fixed batch dimension if it has one. */
  public static int batchSize(InferenceSession session, int wanted) {
    TensorType t = session.inputTypes().get(session.inputNames().get(0));
    if (t != null && t.shape() != null && t.shape().rank() > 0 && t.shape().size(0) > 0) {
      return (int) t.shape().size(0);
    }
    return Math.max(1, wanted);
  }

  /** Runs the first {@code limit} samples of {@code data} through {@code session}. */
  public static void run(
      InferenceSession session, Dataset data, int batchSize, int limit, Sink sink)
      throws EdgeoptException {
    String inputName = session.inputNames().get(0);
    String outputName = session.outputNames().get(0);
    int bs = batchSize(session, batchSize);
    Iterator<Batch> it = data.batches(bs, limit);
    while (it.hasNext()) {
      Batch b = it.next();
      Tensor in = b.input().withName(inputName);
      Map<String, Tensor> out = session.run(Map.of(inputName, in), java.util.List.of(outputName));
      sink.accept(b, out.get(outputName));
    }
  }

  /** Returns the index of the largest of {@code classes} values starting at {@code offset}. */
  public static int argmax(float[] values, int offset, int classes) {
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (values[offset + c] > values[offset + best]) {
        best = c;
      }
    }
    return best;
  }

  /**
   * Returns the top-1 prediction of every sample: the argmax over each sample's scores. The first
   * dimension is the batch (a rank-1 output is one sample), and every other dimension but one has
   * size 1, so a convolutional head's {@code [N, C, 1, 1]} (SqueezeNet) reads as {@code [N, C]}.
   *
   * @throws IllegalArgumentException for an output with more than one score axis ({@code [N, T,
   *     C]}), which has no single top-1 per sample
   */
  public static int[] top1(Tensor output) {
    long[] d = output.dims();
    int n = d.length < 2 ? 1 : (int) d[0];
    int axes = 0;
    for (int i = d.length < 2 ? 0 : 1; i < d.length; i++) {
      axes += d[i] > 1 ? 1 : 0;
    }
    float[] v = output.toFloats();
    if (n < 1 || axes > 1 || v.length % n != 0) {
      throw new IllegalArgumentException(
          "expected one row of class scores per sample ([N, C], or [N, C, 1, 1]), found output '"
              + output.name()
              + "' of shape "
              + java.util.Arrays.toString(d));
    }
    int classes = v.length / n;
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = argmax(v, i * classes, classes);
    }
    return p;
  }

  /** Returns the count of correct top-1 predictions of {@code session} on {@code data}. */
  public static int correctTop1(InferenceSession session, Dataset data, int batchSize, int limit)
      throws EdgeoptException {
    int[] correct = {0};
    run(
        session,
        data,
        batchSize,
        limit,
        (b, out) -> {
          int[] p = top1(out);
          for (int i = 0; i < p.length; i++) {
            if (p[i] == b.labels()[i]) {
              correct[0]++;
            }
          }
        });
    return correct[0];
  }
}
