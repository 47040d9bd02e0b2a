package org.edgeopt.planners.split;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.planners.HostLatency;

/**
 * Runs every cut's edge part and server part in ONNX Runtime on real samples, chained, and
 * compares with the whole model; measures the zstd-compressed size of the cut tensors per sample.
 *
 * <p>The whole model runs once per batch as a probe that also returns every cut tensor, so the
 * int8 variant (the FP32 edge output quantized and dequantized with {@link WireCodec}, exactly as
 * the written QuantizeLinear/DequantizeLinear pair does) and the compressed sizes cost no extra
 * edge run. Data are streamed batch by batch; only the sessions stay in memory.
 */
public final class SplitEvaluator {
  /** The zstd level: the library's default, a speed a device can afford per request. */
  public static final int ZSTD_LEVEL = 3;

  /** Untimed runs before each part's timed runs. */
  static final int HOST_WARMUP = 3;

  /** One intra-op thread per session: many sessions stay open at once, and the figures are not timings. */
  static final SessionOptions SESSION = SessionOptions.defaults().withThreads(1);

  private SplitEvaluator() {}

  /**
   * The checks per cut, the mean compressed bytes per cut and wire format (by encoding id), and
   * each part's median batch-1 seconds on this host (NaN when not timed or absent).
   */
  public record Result(
      List<CutCheck> checks,
      List<Map<String, Double>> zstdBytes,
      int samples,
      double[] edgeHostSeconds,
      double[] serverHostSeconds) {}

  /**
   * Evaluates {@code cuts} of {@code g} on the first {@code limit} samples of {@code data}.
   *
   * @param ranges int8 parameters by cut tensor; cuts with a tensor missing get no int8 figures
   * @param compressSamples how many samples the compressed sizes are measured on
   * @param hostRuns timed batch-1 runs of each part on the first sample, 0 for none
   */
  public static Result evaluate(
      Graph g,
      List<Cut> cuts,
      Dataset data,
      int limit,
      Map<String, QuantParams> ranges,
      int compressSamples,
      int batchSize,
      int hostRuns)
      throws EdgeoptException {
    String input = singleInput(g);
    String output = g.outputs().get(0).name();
    List<InferenceSession> open = new ArrayList<>();
    try {
      InferenceSession probe = track(open, OrtRuntime.get().open(probe(g, cuts), SESSION));
      List<InferenceSession> edges = new ArrayList<>();
      List<InferenceSession> servers = new ArrayList<>();
      for (Cut c : cuts) {
        edges.add(
            c.cloudOnly()
                ? null
                : track(
                    open,
                    OrtRuntime.get()
                        .open(GraphSplitter.edgePart(g, c, WireFormat.FP32, Map.of()), SESSION)));
        servers.add(
            c.edgeOnly()
                ? null
                : track(
                    open,
                    OrtRuntime.get()
                        .open(GraphSplitter.serverPart(g, c, WireFormat.FP32, Map.of()), SESSION)));
      }
      int n = cuts.size();
      double[] maxDiff = new double[n];
      int[] agree = new int[n];
      int[] correct = new int[n];
      double[][] zstd = new double[n][WireFormat.values().length];
      int compressed = 0;
      int seen = 0;
      Tensor first = null;
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(probe, batchSize), limit);
      while (it.hasNext()) {
        Batch b = it.next();
        Tensor x = b.input().withName(input);
        first = first == null ? firstSample(x, b.size()) : first;
        Map<String, Tensor> inputs = Map.of(input, x);
        Map<String, Tensor> all = new HashMap<>(probe.run(inputs));
        all.putAll(inputs);
        Map<String, Tensor> reference = outputs(g, all);
        int[] refTop = BatchRunner.top1(reference.get(output));
        int k = b.size();
        int toCompress = Math.max(0, Math.min(k, compressSamples - compressed));
        for (int i = 0; i < n; i++) {
          Cut c = cuts.get(i);
          Map<String, Tensor> composed =
              Composition.run(edges.get(i), servers.get(i), c, inputs, WireFormat.FP32, Map.of());
          maxDiff[i] = Math.max(maxDiff[i], maxAbsDiff(g, composed, reference));
          if (!c.edgeOnly() && ranges.keySet().containsAll(c.tensors())) {
            // The FP32 cut tensors (the probe's) through the int8 wire: what the server decodes.
            Map<String, Tensor> viaInt8 = new LinkedHashMap<>();
            for (String t : c.tensors()) {
              viaInt8.put(t, WireCodec.roundTrip(all.get(t), WireFormat.INT8, ranges.get(t)));
            }
            Map<String, Tensor> out = new HashMap<>(reference);
            out.putAll(servers.get(i).run(viaInt8));
            int[] top = BatchRunner.top1(out.get(output));
            for (int s = 0; s < k; s++) {
              agree[i] += top[s] == refTop[s] ? 1 : 0;
              correct[i] += top[s] == b.labels()[s] ? 1 : 0;
            }
          } else if (c.edgeOnly()) {
            for (int s = 0; s < k; s++) {
              agree[i]++;
              correct[i] += refTop[s] == b.labels()[s] ? 1 : 0;
            }
          }
          for (int s = 0; s < toCompress && !c.edgeOnly(); s++) {
            for (WireFormat w : WireFormat.values()) {
              if (w == WireFormat.INT8 && !ranges.keySet().containsAll(c.tensors())) {
                continue;
              }
              zstd[i][w.ordinal()] += compressedSize(all, c.tensors(), s, k, w, ranges);
            }
          }
        }
        compressed += toCompress;
        seen += k;
      }
      if (seen == 0) {
        throw EdgeoptException.invalid(
            data.describe() + ": expected samples to run the cuts on, found none");
      }
      List<CutCheck> checks = new ArrayList<>();
      List<Map<String, Double>> sizes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        boolean int8 = cuts.get(i).edgeOnly() || ranges.keySet().containsAll(cuts.get(i).tensors());
        checks.add(
            new CutCheck(
                seen,
                maxDiff[i],
                int8 ? agree[i] / (double) seen : Double.NaN,
                int8 ? correct[i] : -1));
        Map<String, Double> z = new LinkedHashMap<>();
        for (WireFormat w : WireFormat.values()) {
          if (cuts.get(i).edgeOnly()) {
            z.put(new Encoding(w, true).id(), 0.0);
          } else if (compressed > 0 && (w != WireFormat.INT8 || int8)) {
            z.put(new Encoding(w, true).id(), zstd[i][w.ordinal()] / compressed);
          }
        }
        sizes.add(z);
      }
      double[] edgeHost = new double[n];
      double[] serverHost = new double[n];
      java.util.Arrays.fill(edgeHost, Double.NaN);
      java.util.Arrays.fill(serverHost, Double.NaN);
      for (int i = 0; i < n && hostRuns > 0; i++) {
        Map<String, Tensor> in = Map.of(input, first);
        Map<String, Tensor> edgeOut = Map.of();
        if (edges.get(i) != null) {
          edgeHost[i] = HostLatency.median(edges.get(i), in, HOST_WARMUP, hostRuns);
          edgeOut = edges.get(i).run(in);
        }
        if (servers.get(i) != null) {
          Map<String, Tensor> sent =
              Composition.sent(cuts.get(i), in, edgeOut, WireFormat.FP32, Map.of());
          serverHost[i] = HostLatency.median(servers.get(i), sent, HOST_WARMUP, hostRuns);
        }
      }
      return new Result(checks, sizes, seen, edgeHost, serverHost);
    } finally {
      open.forEach(InferenceSession::close);
    }
  }

  /** Returns the first sample of a batch as a batch of one. */
  private static Tensor firstSample(Tensor batch, int size) {
    if (size == 1) {
      return batch;
    }
    long[] d = batch.dims().clone();
    d[0] = 1;
    float[] v = batch.toFloats();
    return Tensor.ofFloats(batch.name(), d, java.util.Arrays.copyOf(v, v.length / size));
  }

  /** Returns {@code g} with every cut tensor that is not an input also returned as an output. */
  static Graph probe(Graph g, List<Cut> cuts) {
    GraphBuilder b = g.toBuilder();
    Set<String> have = new java.util.HashSet<>();
    g.outputs().forEach(v -> have.add(v.name()));
    g.inputs().forEach(v -> have.add(v.name()));
    for (Cut c : cuts) {
      for (String t : c.tensors()) {
        if (have.add(t)) {
          b.addOutput(new Value(t, g.type(t).orElse(null)));
        }
      }
    }
    return b.build();
  }

  /** Returns the zstd size of sample {@code s}'s slice of the cut tensors, concatenated in wire form. */
  private static long compressedSize(
      Map<String, Tensor> all,
      List<String> tensors,
      int s,
      int batch,
      WireFormat w,
      Map<String, QuantParams> ranges) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    for (String t : tensors) {
      Tensor full = all.get(t);
      float[] v = full.toFloats();
      int per = v.length / batch;
      float[] slice = java.util.Arrays.copyOfRange(v, s * per, (s + 1) * per);
      buf.writeBytes(
          WireCodec.encode(Tensor.ofFloats(t, new long[] {slice.length}, slice), w, ranges.get(t)));
    }
    return Zstd.compress(buf.toByteArray(), ZSTD_LEVEL).length;
  }

  /**
   * Returns the name of the model's one input: holdout datasets give one tensor per sample, so
   * the planner runs single-input models (the cuts and parts themselves handle several).
   */
  static String singleInput(Graph g) throws EdgeoptException {
    if (g.inputs().size() != 1) {
      throw EdgeoptException.invalid(
          "graph '"
              + g.name()
              + "': expected one input to feed from the holdout, found "
              + g.inputs().size()
              + " ("
              + String.join(", ", g.inputs().stream().map(Value::name).toList())
              + "): holdout datasets give one tensor per sample");
    }
    return g.inputs().get(0).name();
  }

  /** Returns the model outputs among {@code all}, by name. */
  private static Map<String, Tensor> outputs(Graph g, Map<String, Tensor> all) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    g.outputs().forEach(v -> out.put(v.name(), all.get(v.name())));
    return out;
  }

  /** Returns the largest difference over every model output; infinite when one is missing or reshaped. */
  static double maxAbsDiff(Graph g, Map<String, Tensor> composed, Map<String, Tensor> reference) {
    double m = 0;
    for (Value v : g.outputs()) {
      Tensor c = composed.get(v.name());
      m =
          Math.max(
              m, c == null ? Double.POSITIVE_INFINITY : maxAbsDiff(c, reference.get(v.name())));
    }
    return m;
  }

  private static double maxAbsDiff(Tensor a, Tensor b) {
    float[] x = a.toFloats();
    float[] y = b.toFloats();
    if (x.length != y.length) {
      return Double.POSITIVE_INFINITY;
    }
    double m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs((double) x[i] - y[i]));
    }
    return m;
  }

  private static InferenceSession track(List<InferenceSession> open, InferenceSession s) {
    open.add(s);
    return s;
  }
}
