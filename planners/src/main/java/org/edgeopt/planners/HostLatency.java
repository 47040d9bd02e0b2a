package org.edgeopt.planners;

import java.util.Arrays;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.targets.TargetProfile;

/** Measures a model's batch-1 latency on this host: the median of timed runs after warm-up runs. */
public final class HostLatency {
  private HostLatency() {}

  /**
   * Returns whether {@code profile} describes this host, so that a time measured here is a time
   * on the target: an ONNX Runtime profile whose CPU assumptions this CPU meets.
   */
  public static boolean describesThisHost(TargetProfile profile) {
    return "onnxruntime".equals(profile.target())
        && profile.cpuMismatch(HostCpu.current()).isEmpty();
  }

  /** Returns the median seconds of {@code runs} runs of a single-input {@code session} on {@code sample}. */
  public static double median(InferenceSession session, Tensor sample, int warmup, int runs)
      throws EdgeoptException {
    String input = session.inputNames().get(0);
    return median(session, Map.of(input, sample.withName(input)), warmup, runs);
  }

  /** Returns the median seconds of {@code runs} runs of {@code session} on {@code inputs}. */
  public static double median(
      InferenceSession session, Map<String, Tensor> inputs, int warmup, int runs)
      throws EdgeoptException {
    for (int i = 0; i < warmup; i++) {
      session.run(inputs);
    }
    double[] t = new double[Math.max(1, runs)];
    for (int i = 0; i < t.length; i++) {
      long t0 = System.nanoTime();
      session.run(inputs);
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(t);
    return t[t.length / 2];
  }
}
