package org.edgeopt.quantize;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Per-channel minimum, maximum and mean of intermediate tensors over calibration samples,
 * measured by running the FP32 graph in ONNX Runtime with those tensors exposed as outputs.
 *
 * <p>The channel is axis 1 (NCHW activations, [N, C] Gemm outputs), or on request the last axis
 * (the input features a MatMul contracts, for {@link SmoothQuant}).
 *
 * @param channels the statistics of each measured tensor, by name
 * @param samples how many samples were run
 */
record ChannelStatistics(Map<String, Channels> channels, int samples) {
  ChannelStatistics {
    channels = Map.copyOf(channels);
  }

  /**
   * The statistics of one tensor, one entry per channel.
   *
   * @param min the smallest value seen in each channel
   * @param max the largest value seen in each channel
   * @param mean the mean over samples and positions of each channel
   * @param std the standard deviation over samples and positions of each channel
   */
  record Channels(double[] min, double[] max, double[] mean, double[] std) {
    /** Returns the smallest value over all channels. */
    double tensorMin() {
      double m = Double.POSITIVE_INFINITY;
      for (double v : min) {
        m = Math.min(m, v);
      }
      return m;
    }

    /** Returns the largest value over all channels. */
    double tensorMax() {
      double m = Double.NEGATIVE_INFINITY;
      for (double v : max) {
        m = Math.max(m, v);
      }
      return m;
    }
  }

  /** Returns the statistics of a tensor, or null when it was not measured. */
  Channels of(String tensor) {
    return channels.get(tensor);
  }

  /**
   * Runs {@code g} on the first {@code samples} samples of {@code data} and measures the named tensors.
   *
   * @param where names the model in errors
   */
  static ChannelStatistics measure(
      Graph g, List<String> tensors, Dataset data, int samples, String where)
      throws EdgeoptException {
    return measure(g, tensors, data, samples, false, where);
  }

  /**
   * As {@link #measure(Graph, List, Dataset, int, String)}, with the channel on the last axis
   * when {@code lastAxis} (the graph input may then be measured too).
   */
  static ChannelStatistics measure(
      Graph g, List<String> tensors, Dataset data, int samples, boolean lastAxis, String where)
      throws EdgeoptException {
    if (g.inputs().size() != 1) {
      throw EdgeoptException.invalid(
          where
              + ": measuring channel statistics needs a model with one input, found "
              + g.inputs().size());
    }
    String input = g.inputs().get(0).name();
    List<String> names =
        new LinkedHashSet<>(tensors).stream().filter(t -> !t.equals(input)).toList();
    boolean withInput = tensors.contains(input);
    Graph exposed = SqnrProbe.expose(g, new LinkedHashSet<>(names));
    Map<String, double[][]> acc = new LinkedHashMap<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    int seen = 0;
    SessionOptions opts =
        SessionOptions.defaults().withOptimization(SessionOptions.Optimization.EXTENDED);
    try (InferenceSession s = OrtRuntime.get().open(exposed, opts)) {
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(s, 16), samples);
      while (it.hasNext()) {
        Batch b = it.next();
        Map<String, Tensor> out =
            new LinkedHashMap<>(
                names.isEmpty()
                    ? Map.of()
                    : s.run(Map.of(input, b.input().withName(input)), names));
        if (withInput) {
          out.put(input, b.input());
        }
        seen += b.size();
        for (String n : out.keySet()) {
          Tensor t = out.get(n);
          long[] d = t.dims();
          int channels =
              lastAxis
                  ? Math.toIntExact(d[d.length - 1])
                  : d.length < 2 ? 1 : Math.toIntExact(d[1]);
          int inner = 1;
          for (int i = 2; !lastAxis && i < d.length; i++) {
            inner = Math.multiplyExact(inner, Math.toIntExact(d[i]));
          }
          float[] v = t.toFloats();
          double[][] a =
              acc.computeIfAbsent(
                  n,
                  k -> {
                    double[][] z = new double[4][channels];
                    java.util.Arrays.fill(z[0], Double.POSITIVE_INFINITY);
                    java.util.Arrays.fill(z[1], Double.NEGATIVE_INFINITY);
                    return z;
                  });
          if (a[0].length != channels) {
            throw new IllegalStateException(
                where + ": tensor '" + n + "' changed its channel count between batches");
          }
          int outer = v.length / (channels * inner);
          for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
              int base = (o * channels + c) * inner;
              double lo = a[0][c];
              double hi = a[1][c];
              double sum = 0;
              double squares = 0;
              for (int k = base; k < base + inner; k++) {
                float x = v[k];
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
                sum += x;
                squares += (double) x * x;
              }
              a[0][c] = lo;
              a[1][c] = hi;
              a[2][c] += sum;
              a[3][c] += squares;
            }
          }
          counts.merge(n, (long) outer * inner, Long::sum);
        }
      }
    }
    Map<String, Channels> result = new LinkedHashMap<>();
    for (Map.Entry<String, double[][]> e : acc.entrySet()) {
      double[][] a = e.getValue();
      double per = counts.get(e.getKey());
      double[] mean = new double[a[2].length];
      double[] std = new double[a[2].length];
      for (int c = 0; c < mean.length; c++) {
        mean[c] = a[2][c] / per;
        std[c] = Math.sqrt(Math.max(0, a[3][c] / per - mean[c] * mean[c]));
      }
      result.put(e.getKey(), new Channels(a[0], a[1], mean, std));
    }
    return new ChannelStatistics(result, seen);
  }
}
