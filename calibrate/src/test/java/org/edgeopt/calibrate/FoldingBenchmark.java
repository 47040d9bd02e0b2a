package org.edgeopt.calibrate;

import ai.onnxruntime.OrtSession;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SharedModels;

/**
 * The capture's two costs measured apart on mnist-7 (a program to run by hand, not a test),
 * behind the figures in docs/benchmarks.md:
 *
 * <ol>
 *   <li>folding: the activations of N samples are captured once, held in memory, and folded into
 *       fresh statistics again and again; reported is the folding thread's CPU time per value,
 *       with a histogram and min/max only, in all and per tensor;
 *   <li>balancing: the whole capture with the capturing thread waiting for the statistics thread
 *       ({@link StatisticsFolder.Balancing#NEVER}) and helping it (the default), interleaved with
 *       plain FP32 inference of the same samples; medians of wall time.
 * </ol>
 *
 * <pre>
 * mvn -B -q -pl calibrate test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.edgeopt.calibrate.FoldingBenchmark -Dexec.args="500 2000 15"
 * </pre>
 *
 * Arguments: samples to fold, samples to capture, rounds of the capture comparison.
 */
public final class FoldingBenchmark {
  private FoldingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int foldSamples = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int captureSamples = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    Path model =
        SharedModels.find("mnist-7/mnist.onnx")
            .orElseThrow(
                () -> new IllegalStateException(SharedModels.missingReason("mnist-7/mnist.onnx")));
    Path data =
        SharedModels.find("mnist-t10k")
            .orElseThrow(() -> new IllegalStateException(SharedModels.missingReason("mnist-t10k")));
    Graph g = OnnxModels.read(model);
    Dataset d = Datasets.open(data, Preprocessing.parse(""), null, null);
    folding(g, d, foldSamples);
    balancing(model, g, d, captureSamples, rounds);
  }

  private static void folding(Graph model, Dataset d, int n) throws EdgeoptException {
    Graph g = OnnxChecker.inferShapes(model, "mnist-7");
    String input = g.inputs().get(0).name();
    List<String> tensors = ActivationCapture.tensorsToCalibrate(g);
    List<String> fetch = new ArrayList<>(tensors);
    fetch.remove(input);
    ActivationCapture.derivedTensors(g, tensors).forEach(x -> fetch.remove(x.output()));
    List<Map<String, int[]>> batches = new ArrayList<>();
    try (InferenceSession s =
        OrtRuntime.get().open(ActivationCapture.augment(g, fetch), SessionOptions.defaults())) {
      Iterator<Batch> it = d.batches(1, n);
      while (it.hasNext()) {
        Tensor in = it.next().input().withName(input);
        Map<String, Tensor> out = s.run(Map.of(input, in), fetch);
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(input, bits(in));
        fetch.forEach(f -> m.put(f, bits(out.get(f))));
        batches.add(m);
      }
    }
    long values = batches.get(0).values().stream().mapToLong(v -> v.length).sum() * batches.size();
    System.out.printf(
        "folding %d samples of mnist-7: %d values in %d fetched tensors%n",
        batches.size(), values, batches.get(0).size());
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    for (int round = 0; round < 8; round++) {
      long t0 = cpu.getCurrentThreadCpuTime();
      fold(batches, true);
      long t1 = cpu.getCurrentThreadCpuTime();
      fold(batches, false);
      long t2 = cpu.getCurrentThreadCpuTime();
      System.out.printf(
          "  round %d: histogram %.2f ns/value, min/max only %.2f ns/value%n",
          round, (t1 - t0) / (double) values, (t2 - t1) / (double) values);
    }
    StringBuilder per = new StringBuilder("  per tensor (histogram):");
    for (String name : batches.get(0).keySet()) {
      TensorStatistics s = TensorStatistics.withHistogram(name);
      long t0 = cpu.getCurrentThreadCpuTime();
      for (Map<String, int[]> b : batches) {
        s.addBits(b.get(name), b.get(name).length, 1);
      }
      per.append(
          String.format(
              " %s %.1f ns", name, (cpu.getCurrentThreadCpuTime() - t0) / (double) s.count()));
    }
    System.out.println(per);
  }

  private static void fold(List<Map<String, int[]>> batches, boolean histogram) {
    Map<String, TensorStatistics> stats = new LinkedHashMap<>();
    for (Map<String, int[]> b : batches) {
      for (Map.Entry<String, int[]> e : b.entrySet()) {
        stats
            .computeIfAbsent(
                e.getKey(),
                histogram ? TensorStatistics::withHistogram : TensorStatistics::minMaxOnly)
            .addBits(e.getValue(), e.getValue().length, 1);
      }
    }
  }

  private static void balancing(Path modelFile, Graph g, Dataset d, int n, int rounds)
      throws EdgeoptException {
    Map<String, ActivationCapture.Tuning> variants = new LinkedHashMap<>();
    variants.put(
        "capturing thread waits",
        new ActivationCapture.Tuning(
            StatisticsFolder.GROUP_VALUES, true, StatisticsFolder.Balancing.NEVER));
    variants.put("capturing thread helps (default)", ActivationCapture.Tuning.DEFAULT);
    for (CalibrationMethod m : List.of(CalibrationMethod.ENTROPY, CalibrationMethod.MINMAX)) {
      Map<String, List<Double>> ms = new LinkedHashMap<>();
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        try (InferenceSession s = OrtRuntime.get().open(modelFile, SessionOptions.defaults())) {
          BatchRunner.run(s, d, CalibrationConfig.DEFAULT_BATCH_SIZE, n, (b, out) -> {});
        }
        ms.computeIfAbsent("fp32 inference", k -> new ArrayList<>())
            .add((System.nanoTime() - t0) / 1e6);
        for (Map.Entry<String, ActivationCapture.Tuning> v : variants.entrySet()) {
          long t1 = System.nanoTime();
          CalibrationConfig cfg = CalibrationConfig.of(m).withSamples(n);
          ActivationCapture.collect(
                  g,
                  d,
                  cfg,
                  CalibrationProgress.NONE,
                  null,
                  "mnist-7",
                  OrtSession.SessionOptions.OptLevel.ALL_OPT,
                  v.getValue())
              .ranges(cfg.calibrator());
          ms.computeIfAbsent(v.getKey(), k -> new ArrayList<>())
              .add((System.nanoTime() - t1) / 1e6);
        }
      }
      double base = median(ms.get("fp32 inference"));
      System.out.printf(
          "%s capture and ranges of %d samples, medians of %d interleaved rounds:%n",
          m.id(), n, rounds);
      ms.forEach(
          (k, v) -> System.out.printf("  %-34s %7.1f ms  %.2fx%n", k, median(v), median(v) / base));
    }
  }

  private static int[] bits(Tensor t) {
    IntBuffer b = t.data().asIntBuffer();
    int[] a = new int[b.remaining()];
    b.get(a);
    return a;
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
