package org.edgeopt.quantize;

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

/**
 * Top-1 accuracy of an FP32 model and its quantized form on the same samples, and how often
 * they agree: the acceptance figures of the quantizer.
 *
 * @param samples samples evaluated
 * @param fp32Correct correct top-1 predictions of the FP32 model
 * @param quantizedCorrect correct top-1 predictions of the quantized model
 * @param agree samples where both predict the same class
 */
record Agreement(int samples, int fp32Correct, int quantizedCorrect, int agree) {

  double fp32Top1() {
    return 100.0 * fp32Correct / samples;
  }

  double quantizedTop1() {
    return 100.0 * quantizedCorrect / samples;
  }

  /** Returns the top-1 drop in percentage points (positive: the quantized model is worse). */
  double dropPoints() {
    return fp32Top1() - quantizedTop1();
  }

  double agreementPercent() {
    return 100.0 * agree / samples;
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "%d samples: FP32 %.2f%%, quantized %.2f%%, drop %.2f points," + " agreement %.2f%%",
        samples,
        fp32Top1(),
        quantizedTop1(),
        dropPoints(),
        agreementPercent());
  }

  /** Evaluates samples {@code [skip, skip + count)} of {@code data} on both models. */
  static Agreement measure(Graph fp32, Graph quantized, Dataset data, int skip, int count)
      throws Exception {
    SessionOptions opts = SessionOptions.defaults().withThreads(2);
    int n = 0;
    int fc = 0;
    int qc = 0;
    int ag = 0;
    try (InferenceSession f = OrtRuntime.get().open(fp32, opts);
        InferenceSession q = OrtRuntime.get().open(quantized, opts)) {
      String in = f.inputNames().get(0);
      for (Batch b : window(data, BatchRunner.batchSize(f, 50), skip, count)) {
        Tensor x = b.input().withName(in);
        int[] pf = top1(f.run(Map.of(in, x)).values().iterator().next());
        int[] pq = top1(q.run(Map.of(in, x)).values().iterator().next());
        for (int i = 0; i < pf.length; i++) {
          n++;
          fc += pf[i] == b.labels()[i] ? 1 : 0;
          qc += pq[i] == b.labels()[i] ? 1 : 0;
          ag += pf[i] == pq[i] ? 1 : 0;
        }
      }
    }
    return new Agreement(n, fc, qc, ag);
  }

  /**
   * Runs samples {@code [skip, skip + count)} through one model twice, on the host's own INT8
   * kernels and in exact arithmetic, and returns how many output values differ (0 when the model
   * computes the same integers on this host as on every exact CPU).
   */
  static long hostVersusExactDifferences(Graph model, Dataset data, int skip, int count)
      throws Exception {
    SessionOptions host =
        SessionOptions.defaults()
            .withThreads(2)
            .withInt8Arithmetic(SessionOptions.Int8Arithmetic.HOST);
    SessionOptions exact = host.withInt8Arithmetic(SessionOptions.Int8Arithmetic.EXACT);
    long differing = 0;
    try (InferenceSession h = OrtRuntime.get().open(model, host);
        InferenceSession e = OrtRuntime.get().open(model, exact)) {
      String in = h.inputNames().get(0);
      for (Batch b : window(data, BatchRunner.batchSize(h, 50), skip, count)) {
        Tensor x = b.input().withName(in);
        float[] a = h.run(Map.of(in, x)).values().iterator().next().toFloats();
        float[] c = e.run(Map.of(in, x)).values().iterator().next().toFloats();
        for (int i = 0; i < a.length; i++) {
          differing += Float.floatToIntBits(a[i]) == Float.floatToIntBits(c[i]) ? 0 : 1;
        }
      }
    }
    return differing;
  }

  /** Returns the batches of {@code batchSize} that cover samples {@code [skip, skip + count)}. */
  private static List<Batch> window(Dataset data, int batchSize, int skip, int count)
      throws Exception {
    if (skip % batchSize != 0) {
      throw new IllegalArgumentException("skip must be a multiple of the batch size " + batchSize);
    }
    List<Batch> out = new ArrayList<>();
    Iterator<Batch> it = data.batches(batchSize, skip + count);
    int seen = 0;
    while (it.hasNext()) {
      Batch b = it.next();
      seen += b.size();
      if (seen > skip) {
        out.add(b);
      }
    }
    return out;
  }

  static int[] top1(Tensor scores) {
    int classes = (int) (scores.elementCount() / scores.dim(0));
    float[] v = scores.toFloats();
    int[] p = new int[v.length / classes];
    for (int i = 0; i < p.length; i++) {
      p[i] = BatchRunner.argmax(v, i * classes, classes);
    }
    return p;
  }
}
