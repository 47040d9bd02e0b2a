package org.edgeopt.quantize.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ChannelPadding;
import org.edgeopt.quantize.MinMaxCalibration;
import org.edgeopt.quantize.OrtGraphs;
import org.edgeopt.quantize.QdqQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.quantize.SqueezeNetFixtures;

/**
 * Throughput of INT8 QDQ SqueezeNet (the shared model, 1.1 layout) against FP32 under ONNX Runtime, same thread count,
 * measured side by side in one run: rounds alternate FP32 and INT8 so that load from other
 * processes on the machine hits both alike. A benchmark, not a test: it prints figures for
 * {@code docs/benchmarks.md}.
 *
 * <p>Run: {@code java -cp <test classpath> org.edgeopt.quantize.bench.SqueezeNetSpeedBenchmark [threads...]}
 * (default threads: 1 2; {@code -Dbench.rounds}, {@code -Dbench.runs} set rounds and runs per round;
 * {@code -Dbench.exclude=Conv_0} keeps nodes in float; {@code -Dbench.profile=onnxruntime-x86-vnni} quantizes
 * for another profile; {@code -Dbench.arithmetic=exact} runs ONNX Runtime's exact U8U8 kernels
 * where the host's saturate, as {@code edgeopt validate} does to emulate a VNNI target). The host
 * CPU, its flags and its INT8 kernel family are printed with the figures.
 */
public final class SqueezeNetSpeedBenchmark {
  private SqueezeNetSpeedBenchmark() {}

  public static void main(String[] args) throws Exception {
    LargeStack.run(() -> run(args));
  }

  private static void run(String[] args) throws Exception {
    if (SqueezeNetFixtures.model().isEmpty()) {
      System.out.println("skipped: " + SqueezeNetFixtures.missingReason());
      return;
    }
    int rounds = Integer.getInteger("bench.rounds", 10);
    int runs = Integer.getInteger("bench.runs", 40);
    int[] threads =
        args.length == 0
            ? new int[] {1, 2}
            : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    Graph fp32 = SqueezeNetFixtures.fp32();
    CalibrationTable table =
        MinMaxCalibration.collect(fp32, SqueezeNetFixtures.calibrationSet().iterator());
    String exclude = System.getProperty("bench.exclude", "");
    String profile = System.getProperty("bench.profile", QuantizeConfig.DEFAULT_TARGET);
    SessionOptions.Int8Arithmetic arithmetic =
        SessionOptions.Int8Arithmetic.valueOf(
            System.getProperty("bench.arithmetic", "host").toUpperCase(Locale.ROOT));
    HostCpu host = HostCpu.current();
    System.out.println(
        "host: " + host.describe() + "; INT8 kernels: " + host.int8Kernel().description());
    System.out.println("profile: " + profile + "; INT8 arithmetic: " + arithmetic);
    QuantizeConfig config =
        QuantizeConfig.forTarget(TargetProfiles.get(profile))
            .withExclude(
                exclude.isBlank() ? java.util.Set.of() : java.util.Set.of(exclude.split(",")));
    // As edgeopt quantize writes it for onnxruntime-cpu: first-layer channels padded to 4
    // (ChannelPadding).
    Graph int8 =
        ChannelPadding.apply(
                QdqQuantizer.quantize(fp32, table, config, "squeezenet", "table").graph(),
                Integer.getInteger("bench.channelMultiple", config.convInputChannelMultiple()))
            .graph();
    System.out.println(
        "INT8 with " + (exclude.isBlank() ? "every layer quantized" : "float: " + exclude));
    Path dir = Files.createTempDirectory("squeezenet-bench");
    System.out.println(
        "INT8 graph after ONNX Runtime's EXTENDED optimizer: "
            + OrtGraphs.optimizedOps(int8, dir.resolve("int8.opt.onnx")));
    System.out.println(
        "FP32 graph after ONNX Runtime's EXTENDED optimizer: "
            + OrtGraphs.optimizedOps(fp32, dir.resolve("fp32.opt.onnx")));
    Tensor x = SqueezeNetFixtures.photos().get(0);
    System.out.printf(
        Locale.ROOT,
        "%-8s %-10s %-10s %-9s %-12s %-12s %-9s %s%n",
        "threads",
        "FP32 ms",
        "INT8 ms",
        "speed-up",
        "FP32 cpu ms",
        "INT8 cpu ms",
        "cpu ratio",
        "(median of " + rounds + " rounds x " + runs + " runs, batch 1, optimization ALL)");
    for (int t : threads) {
      SessionOptions opts = SessionOptions.defaults().withThreads(t).withInt8Arithmetic(arithmetic);
      try (InferenceSession f = OrtRuntime.get().open(fp32, opts);
          InferenceSession q = OrtRuntime.get().open(int8, opts)) {
        String in = f.inputNames().get(0);
        Map<String, Tensor> feed = Map.of(in, x.withName(in));
        time(f, feed, runs);
        time(q, feed, runs);
        double[] fm = new double[rounds];
        double[] qm = new double[rounds];
        double[] fc = new double[rounds];
        double[] qc = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          double[] a = time(f, feed, runs);
          double[] b = time(q, feed, runs);
          fm[r] = a[0];
          fc[r] = a[1];
          qm[r] = b[0];
          qc[r] = b[1];
        }
        double fp = median(fm);
        double qp = median(qm);
        // With one intra-op thread ONNX Runtime computes on the calling thread, so that thread's
        // CPU
        // time is the work done, whatever else the machine runs; with more threads it is only a
        // part.
        String fcpu = t == 1 ? String.format(Locale.ROOT, "%.3f", median(fc)) : "-";
        String qcpu = t == 1 ? String.format(Locale.ROOT, "%.3f", median(qc)) : "-";
        String ratio = t == 1 ? String.format(Locale.ROOT, "%.2fx", median(fc) / median(qc)) : "-";
        System.out.printf(
            Locale.ROOT,
            "%-8d %-10.3f %-10.3f %-9s %-12s %-12s %-9s best rounds: %.3f / %.3f ms = %.2fx%n",
            t,
            fp,
            qp,
            String.format(Locale.ROOT, "%.2fx", fp / qp),
            fcpu,
            qcpu,
            ratio,
            min(fm),
            min(qm),
            min(fm) / min(qm));
      }
    }
  }

  /** Returns wall-clock and calling-thread CPU milliseconds per inference over {@code runs} runs. */
  private static double[] time(InferenceSession s, Map<String, Tensor> feed, int runs)
      throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long c0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    for (int i = 0; i < runs; i++) {
      s.run(feed);
    }
    long t1 = System.nanoTime();
    long c1 = mx.getCurrentThreadCpuTime();
    return new double[] {(t1 - t0) / 1e6 / runs, (c1 - c0) / 1e6 / runs};
  }

  /** The fastest round: other processes on a shared machine only ever add time. */
  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
