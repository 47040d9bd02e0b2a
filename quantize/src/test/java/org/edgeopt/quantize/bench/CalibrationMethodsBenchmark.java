package org.edgeopt.quantize.bench;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;

/**
 * INT8 accuracy per calibration method (minmax, percentile 99.99, entropy, mse) against FP32,
 * with one statistics pass per model serving all four methods: mnist-7 (calibrated on the first
 * 1,000 MNIST test images, evaluated on the other 9,000) and the Fashion-MNIST sample
 * (calibration split, holdout). A benchmark, not a test: it prints the table for
 * {@code docs/benchmarks.md}.
 *
 * <p>Run: {@code java -cp <test classpath> -Dedgeopt.shared.dir=../shared org.edgeopt.quantize.bench.CalibrationMethodsBenchmark}
 */
public final class CalibrationMethodsBenchmark {
  private CalibrationMethodsBenchmark() {}

  public static void main(String[] args) throws Exception {
    LargeStack.run(() -> run());
  }

  private static void run() throws Exception {
    System.out.printf(
        Locale.ROOT,
        "%-14s %-11s %9s %9s %8s %10s %9s%n",
        "model",
        "method",
        "FP32 %",
        "INT8 %",
        "drop pt",
        "agree %",
        "SQNR dB");
    if (SharedModels.find("mnist-7/mnist.onnx").isPresent()
        && SharedModels.find("mnist-t10k").isPresent()) {
      Graph g = OnnxModels.read(SharedModels.find("mnist-7/mnist.onnx").get());
      Dataset d =
          Datasets.open(
              SharedModels.find("mnist-t10k").get(), Preprocessing.identity(), null, null);
      compare("mnist-7", g, d, 1000, d, 1000, 9000);
    } else {
      System.out.println("mnist-7 skipped: " + SharedModels.missingReason("mnist-7/mnist.onnx"));
    }
    SampleModel s;
    try {
      s = SampleModels.fashionMnist();
    } catch (RuntimeException e) {
      System.out.println(
          "fashion-mnist skipped: the sample model is not available (" + e.getMessage() + ")");
      return;
    }
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset cal = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    Dataset hold = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    compare(
        "fashion-mnist",
        OnnxModels.read(s.model()),
        cal,
        s.calibration().count(),
        hold,
        0,
        s.holdout().count());
  }

  private static void compare(
      String name, Graph fp32, Dataset cal, int calSamples, Dataset eval, int skip, int count)
      throws Exception {
    CalibrationConfig base =
        CalibrationConfig.of(CalibrationMethod.MINMAX).withSamples(calSamples).withHistogram(true);
    CalibrationStatistics stats = Calibration.collect(fp32, cal, base, CalibrationProgress.NONE);
    int[] labels = new int[count];
    int[] fp = predict(fp32, eval, skip, count, labels);
    for (CalibrationMethod m : CalibrationMethod.values()) {
      CalibrationConfig c = base.withMethod(m);
      CalibrationTable table = Calibration.table(stats, c, "", "", Map.of());
      ModelQuantizer.Outcome o =
          ModelQuantizer.quantize(
              fp32,
              table,
              QuantizeConfig.defaults(),
              cal,
              new ModelQuantizer.Provenance(name, null, m.id(), null));
      int[] q = predict(o.graph(), eval, skip, count, null);
      int fc = 0;
      int qc = 0;
      int ag = 0;
      for (int i = 0; i < count; i++) {
        fc += fp[i] == labels[i] ? 1 : 0;
        qc += q[i] == labels[i] ? 1 : 0;
        ag += fp[i] == q[i] ? 1 : 0;
      }
      System.out.printf(
          Locale.ROOT,
          "%-14s %-11s %9.2f %9.2f %8.2f %10.2f %9.1f%n",
          name,
          m.id(),
          100.0 * fc / count,
          100.0 * qc / count,
          100.0 * (fc - qc) / count,
          100.0 * ag / count,
          o.report().outputSqnrDb());
    }
  }

  /** Returns the top-1 class of samples {@code [skip, skip + count)}; fills {@code labels} when given. */
  private static int[] predict(Graph g, Dataset data, int skip, int count, int[] labels)
      throws Exception {
    int[] out = new int[count];
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults().withThreads(2))) {
      String in = s.inputNames().get(0);
      int bs = BatchRunner.batchSize(s, 50);
      Iterator<Batch> it = data.batches(bs, skip + count);
      int seen = 0;
      List<Integer> preds = new ArrayList<>();
      while (it.hasNext()) {
        Batch b = it.next();
        int start = seen;
        seen += b.size();
        if (seen <= skip) {
          continue;
        }
        Tensor scores = s.run(Map.of(in, b.input().withName(in))).values().iterator().next();
        int classes = (int) (scores.elementCount() / scores.dim(0));
        float[] v = scores.toFloats();
        for (int i = 0; i < b.size(); i++) {
          if (start + i >= skip) {
            preds.add(BatchRunner.argmax(v, i * classes, classes));
            if (labels != null) {
              labels[preds.size() - 1] = b.labels()[i];
            }
          }
        }
      }
      for (int i = 0; i < count; i++) {
        out[i] = preds.get(i);
      }
    }
    return out;
  }
}
