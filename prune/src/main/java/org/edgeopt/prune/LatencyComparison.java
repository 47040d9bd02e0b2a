package org.edgeopt.prune;

import java.util.Arrays;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Latency of a model before and after pruning in ONNX Runtime, measured side by side in one
 * run: one thread, batch 1, runs interleaved so both see the same machine load.
 *
 * @param threads ONNX Runtime intra-op threads
 * @param iterations timed runs of each model
 * @param beforeMedianMs median latency of the original model, milliseconds
 * @param afterMedianMs median latency of the pruned model, milliseconds
 * @param beforeP90Ms 90th percentile of the original, milliseconds
 * @param afterP90Ms 90th percentile of the pruned model, milliseconds
 */
public record LatencyComparison(
    int threads,
    int iterations,
    double beforeMedianMs,
    double afterMedianMs,
    double beforeP90Ms,
    double afterP90Ms) {

  /** Returns the pruned model's median latency as a fraction of the original's. */
  public double ratio() {
    return afterMedianMs / beforeMedianMs;
  }

  /** Measures both models on {@code input} after {@code warmup} untimed runs each. */
  public static LatencyComparison measure(
      Graph before, Graph after, Tensor input, int warmup, int iterations) throws EdgeoptException {
    SessionOptions o = SessionOptions.defaults().withThreads(1);
    try (InferenceSession a = OrtRuntime.get().open(before, o);
        InferenceSession b = OrtRuntime.get().open(after, o)) {
      Map<String, Tensor> ia = Map.of(a.inputNames().get(0), input.withName(a.inputNames().get(0)));
      Map<String, Tensor> ib = Map.of(b.inputNames().get(0), input.withName(b.inputNames().get(0)));
      for (int i = 0; i < warmup; i++) {
        a.run(ia);
        b.run(ib);
      }
      double[] ta = new double[iterations];
      double[] tb = new double[iterations];
      for (int i = 0; i < iterations; i++) {
        // alternate which model goes first, so neither always runs on a warmer cache
        if (i % 2 == 0) {
          ta[i] = time(a, ia);
          tb[i] = time(b, ib);
        } else {
          tb[i] = time(b, ib);
          ta[i] = time(a, ia);
        }
      }
      Arrays.sort(ta);
      Arrays.sort(tb);
      return new LatencyComparison(
          1,
          iterations,
          ta[iterations / 2],
          tb[iterations / 2],
          ta[(int) (iterations * 0.9)],
          tb[(int) (iterations * 0.9)]);
    }
  }

  private static double time(InferenceSession s, Map<String, Tensor> in) throws EdgeoptException {
    long t0 = System.nanoTime();
    s.run(in);
    return (System.nanoTime() - t0) / 1e6;
  }
}
