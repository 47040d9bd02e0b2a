package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;

/**
 * Times models the same way: a fixed input, untimed warm-up runs, then timed runs of the two
 * models interleaved, in alternating order, so that a busy machine slows both alike; and the
 * candidate's whole sample pipeline, stage by stage.
 */
final class LatencyBenchmark {
  private LatencyBenchmark() {}

  /**
   * Times {@code reference} and {@code candidate} on one input.
   *
   * @param input the input batch (one sample, or the models' fixed batch)
   * @param warmup untimed runs of each model first
   * @param runs timed runs of each model
   * @param threads the thread count the sessions were opened with, for the report
   */
  static ValidationReport.Latency compare(
      InferenceSession reference,
      String referenceRuntime,
      InferenceSession candidate,
      String candidateRuntime,
      Tensor input,
      int warmup,
      int runs,
      int threads,
      ProgressListener progress)
      throws EdgeoptException {
    Map<String, Tensor> rf = ModelFeeds.feed(reference, input);
    Map<String, Tensor> cf = ModelFeeds.feed(candidate, input);
    List<String> ro = List.of(reference.outputNames().get(0));
    List<String> co = List.of(candidate.outputNames().get(0));
    progress.start("Latency", 2L * (warmup + runs));
    try {
      for (int i = 0; i < warmup; i++) {
        reference.run(rf, ro);
        candidate.run(cf, co);
        progress.advance(2);
      }
      double[] r = new double[runs];
      double[] c = new double[runs];
      for (int i = 0; i < runs; i++) {
        // Alternate which model goes first: the one timed second in a pair measured 8-13% faster
        // in an A/A run (a model against itself), so a fixed order would favour the candidate.
        if (i % 2 == 0) {
          r[i] = timeMs(reference, rf, ro);
          c[i] = timeMs(candidate, cf, co);
        } else {
          c[i] = timeMs(candidate, cf, co);
          r[i] = timeMs(reference, rf, ro);
        }
        progress.advance(2);
      }
      ValidationReport.LatencyStats rs = stats(referenceRuntime, r);
      ValidationReport.LatencyStats cs = stats(candidateRuntime, c);
      return new ValidationReport.Latency(
          runs, warmup, threads, rs, cs, cs.p50Ms() > 0 ? rs.p50Ms() / cs.p50Ms() : 0);
    } finally {
      progress.finish();
    }
  }

  private static double timeMs(InferenceSession s, Map<String, Tensor> feed, List<String> outputs)
      throws EdgeoptException {
    long t0 = System.nanoTime();
    s.run(feed, outputs);
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Returns percentiles (nearest rank), mean, extremes and throughput of timed runs. */
  static ValidationReport.LatencyStats stats(String runtime, double[] ms) {
    double[] sorted = DriftMetrics.sorted(ms);
    double sum = 0;
    for (double v : ms) {
      sum += v;
    }
    double mean = sum / ms.length;
    List<Double> samples = new ArrayList<>(ms.length);
    for (double v : ms) {
      samples.add(Math.round(v * 1e4) / 1e4);
    }
    return new ValidationReport.LatencyStats(
        runtime,
        DriftMetrics.percentile(sorted, 50),
        DriftMetrics.percentile(sorted, 95),
        DriftMetrics.percentile(sorted, 99),
        mean,
        sorted[0],
        sorted[sorted.length - 1],
        mean > 0 ? 1000.0 / mean : 0,
        samples);
  }

  /**
   * Times the candidate's pipeline over {@code samples} holdout samples after {@code warmup}
   * untimed ones (as far as the holdout has enough), one batch of {@code batch} at a time: reading and preprocessing (the data set's iterator), inference, and
   * post-processing (softmax and argmax for a classifier). Each stage is reported as its median
   * per sample, so a run preempted on a busy machine does not skew it.
   */
  static ValidationReport.PipelineBreakdown pipeline(
      InferenceSession candidate,
      Dataset data,
      int batch,
      int warmup,
      int samples,
      boolean classification)
      throws EdgeoptException {
    List<String> out = List.of(candidate.outputNames().get(0));
    List<double[]> times = new ArrayList<>();
    int n = 0;
    long sink = 0;
    // The first batches warm the reading and post-processing code as the timed runs warmed
    // inference.
    int untimed = Math.min(warmup, Math.max(0, data.size() - samples)) / batch * batch;
    Iterator<Batch> it = data.batches(batch, untimed + samples);
    int seen = 0;
    while (true) {
      long t0 = System.nanoTime();
      if (!it.hasNext()) {
        break;
      }
      Batch b = it.next();
      long t1 = System.nanoTime();
      Tensor y = candidate.run(ModelFeeds.feed(candidate, b.input()), out).get(out.get(0));
      long t2 = System.nanoTime();
      float[] v = y.toFloats();
      int per = v.length / b.size();
      if (classification && per > 0) {
        for (int i = 0; i < b.size(); i++) {
          double[] p = DriftMetrics.softmax(v, i * per, per);
          int best = 0;
          for (int k = 1; k < per; k++) {
            best = p[k] > p[best] ? k : best;
          }
          sink += best;
        }
      }
      long t3 = System.nanoTime();
      seen += b.size();
      if (seen <= untimed) {
        continue;
      }
      double size = b.size() * 1e6;
      times.add(new double[] {(t1 - t0) / size, (t2 - t1) / size, (t3 - t2) / size});
      n += b.size();
    }
    // sink is read so that the JIT cannot drop the post-processing being timed.
    if (n == 0 || sink < 0) {
      return new ValidationReport.PipelineBreakdown(0, 0, 0, 0, 0);
    }
    double pre = median(times, 0);
    double inf = median(times, 1);
    double post = median(times, 2);
    return new ValidationReport.PipelineBreakdown(n, pre, inf, post, pre + inf + post);
  }

  private static double median(List<double[]> times, int stage) {
    double[] v = new double[times.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = times.get(i)[stage];
    }
    return DriftMetrics.percentile(DriftMetrics.sorted(v), 50);
  }
}
