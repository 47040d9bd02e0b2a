package org.edgeopt.planners.cascade;

import java.util.Arrays;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;

/** Measures a model's batch-1 latency on this host: the median of timed runs after warm-up runs. */
public final class HostLatency {
  private HostLatency() {}

  /** Returns the median seconds of {@code runs} runs of {@code session} on {@code sample} (batch 1). */
  public static double median(InferenceSession session, Tensor sample, int warmup, int runs) throws EdgeoptException {
    String input = session.inputNames().get(0);
    Map<String, Tensor> in = Map.of(input, sample.withName(input));
    for (int i = 0; i < warmup; i++) {
      session.run(in);
    }
    double[] t = new double[Math.max(1, runs)];
    for (int i = 0; i < t.length; i++) {
      long t0 = System.nanoTime();
      session.run(in);
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(t);
    return t[t.length / 2];
  }
}
