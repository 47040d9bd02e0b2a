package org.edgeopt.quantize.bench;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ImagenetDev;
import org.edgeopt.quantize.ImagenetDev.Photos;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.quantize.SmoothQuant;
import org.edgeopt.quantize.SqueezeNetFixtures;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;

/**
 * Ablation of the optional PTQ passes on the shared SqueezeNet and the 500 labelled ImageNet
 * photos of {@code ../shared/real-models/imagenet-dev}: calibrated (the profile's default
 * method) on every fifth photo in class order (100), evaluated on the other 400; FP32 top-1,
 * INT8 top-1 and agreement with FP32 for no pass, cross-layer equalization, bias correction and
 * learned rounding alone and all three, with per-channel weights (the default profile) and per-tensor weights, and the time each
 * quantization took beside the calibration's. INT8 runs under {@code SessionOptions.defaults()},
 * which computes the default profile exactly on every host. The Fashion-MNIST sample (calibration
 * split, holdout) gets the same table first. A benchmark, not a test.
 *
 * <p>Run: {@code java -Xss64m -cp <test classpath> -Dedgeopt.shared.dir=../shared
 * org.edgeopt.quantize.bench.PtqPassesBenchmark}
 */
public final class PtqPassesBenchmark {
  private PtqPassesBenchmark() {}

  public static void main(String[] args) throws Exception {
    LargeStack.run(() -> run(args));
  }

  /** The passes of each row: CLE (with bias absorption), bias correction, learned rounding, and optionally smoothing. */
  private static boolean[][] rows = {
    {false, false, false},
    {true, false, false},
    {false, true, false},
    {false, false, true},
    {true, true, true}
  };

  private static void run(String[] args) throws Exception {
    System.out.println("host: " + HostCpu.current().describe());
    if (args.length > 0 && args[0].equals("smooth")) {
      // SmoothQuant-style smoothing and CLE's bias absorption (issue 15), on the Fashion-MNIST
      // sample only.
      rows =
          new boolean[][] {
            {false, false, false, false},
            {false, false, false, true},
            {true, false, false, false},
            {true, true, false, false},
            {true, true, false, true}
          };
      fashionMnist();
      return;
    }
    if (args.length > 0 && args[0].equals("pairs")) {
      // The combinations the ablation leaves out, on the Fashion-MNIST sample only
      // ("squeezenet-pairs":
      // learned rounding with bias correction, and all, on SqueezeNet only).
      rows =
          new boolean[][] {
            {false, true, true}, {true, false, true}, {true, true, false}, {true, true, true}
          };
      fashionMnist();
      return;
    }
    if (args.length > 0 && args[0].equals("squeezenet-pairs")) {
      rows = new boolean[][] {{false, true, true}, {true, true, true}};
    } else if (args.length > 0 && args[0].equals("squeezenet-float-pool")) {
      // The pool read only by Softmax now stays float (issue 15): none and all three passes.
      rows = new boolean[][] {{false, false, false}, {true, true, true}};
    } else if (args.length > 0 && args[0].equals("squeezenet-absorb")) {
      // CLE now absorbs biases (issue 15): its rows again, on SqueezeNet only.
      rows = new boolean[][] {{true, false, false}, {true, true, false}};
    } else {
      fashionMnist();
    }
    ImagenetDev.Split split = ImagenetDev.squeezeNetSplit().orElse(null);
    if (split == null) {
      System.out.println(
          "squeezenet skipped: " + SqueezeNetFixtures.missingReason() + " / imagenet-dev");
      return;
    }
    Photos cal = split.calibration();
    Photos eval = split.evaluation();
    Graph fp32 = SqueezeNetFixtures.fp32();
    System.out.println(
        "SqueezeNet, imagenet-dev: calibrate on every fifth photo, evaluate on the rest");
    long t0 = System.nanoTime();
    CalibrationTable table =
        Calibration.calibrate(
            fp32,
            cal,
            CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
                .withSamples(cal.size()));
    double calSeconds = (System.nanoTime() - t0) / 1e9;
    ablation(fp32, table, cal, eval, eval.labels(), calSeconds);
  }

  /** The Fashion-MNIST sample: calibration split (500), holdout (2,000). */
  private static void fashionMnist() throws Exception {
    SampleModel s;
    try {
      s = SampleModels.fashionMnist();
    } catch (RuntimeException e) {
      System.out.println("fashion-mnist skipped: " + e.getMessage());
      return;
    }
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Dataset cal = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    Dataset hold = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    List<Tensor> images = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    Iterator<Batch> it = hold.batches(1, s.holdout().count());
    while (it.hasNext()) {
      Batch b = it.next();
      images.add(b.input());
      labels.add(b.labels()[0]);
    }
    int[] l = labels.stream().mapToInt(Integer::intValue).toArray();
    Graph fp32 = OnnxModels.read(s.model());
    System.out.println(
        "Fashion-MNIST sample: calibration split "
            + s.calibration().count()
            + ", holdout "
            + s.holdout().count());
    long t0 = System.nanoTime();
    CalibrationTable table =
        Calibration.calibrate(
            fp32,
            cal,
            CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET)));
    ablation(fp32, table, cal, new Photos(images, l), l, (System.nanoTime() - t0) / 1e9);
  }

  private static void ablation(
      Graph fp32, CalibrationTable table, Dataset cal, Photos eval, int[] labels, double calSeconds)
      throws Exception {
    System.out.printf(Locale.ROOT, "calibration (%s): %.1f s%n", table.method(), calSeconds);
    int[] fp = ImagenetDev.predict(fp32, eval);
    System.out.printf(
        Locale.ROOT,
        "%-10s %-5s %-5s %-5s %-6s %8s %8s %8s %8s %10s %10s%n",
        "weights",
        "CLE",
        "BC",
        "AdaR",
        "Smooth",
        "FP32 %",
        "INT8 %",
        "drop pt",
        "agree %",
        "quant s",
        "x calib.");
    QuantizeConfig perChannel = QuantizeConfig.defaults();
    QuantizeConfig perTensor = perChannel.withPerTensorWeightOps(Set.of("Conv", "Gemm", "MatMul"));
    for (QuantizeConfig base : List.of(perChannel, perTensor)) {
      // The ablation: none, each pass alone, all together.
      for (boolean[] p : rows) {
        boolean smooth = p.length > 3 && p[3];
        QuantizeConfig c =
            base.withCrossLayerEqualization(p[0])
                .withBiasCorrection(p[1])
                .withAdaRound(p[2])
                .withSmoothing(smooth ? SmoothQuant.DEFAULT_ALPHA : Double.NaN);
        long q0 = System.nanoTime();
        ModelQuantizer.Outcome o =
            ModelQuantizer.quantize(
                fp32,
                table,
                c,
                cal,
                new ModelQuantizer.Provenance("benchmark", null, "calibration", null));
        double qs = (System.nanoTime() - q0) / 1e9;
        ImagenetDev.Scores sc =
            ImagenetDev.Scores.of(fp, ImagenetDev.predict(o.graph(), eval), labels);
        System.out.printf(
            Locale.ROOT,
            "%-10s %-5s %-5s %-5s %-6s %8.2f %8.2f %8.2f %8.2f %10.1f %10.2f%n",
            base == perChannel ? "channel" : "tensor",
            p[0] ? "yes" : "-",
            p[1] ? "yes" : "-",
            p[2] ? "yes" : "-",
            smooth ? "yes" : "-",
            sc.fp32Top1(),
            sc.int8Top1(),
            sc.drop(),
            sc.agreement(),
            qs,
            qs / calSeconds);
        o.report()
            .passes()
            .forEach(
                r ->
                    System.out.println(
                        "    "
                            + r.name()
                            + ": "
                            + r.changes().stream()
                                .filter(
                                    l ->
                                        !l.startsWith("bias correction")
                                            && !l.startsWith("adaround ")
                                            && !l.startsWith("did not equalize"))
                                .limit(12)
                                .toList()));
      }
    }
  }
}
