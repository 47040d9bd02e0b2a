package org.edgeopt.quantize.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.quantize.SqueezeNetFixtures;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;

/**
 * Ablation of the optional PTQ passes on the shared SqueezeNet and the 500 labelled ImageNet
 * photos of {@code ../shared/real-models/imagenet-dev}: calibrated (the profile's default
 * method) on every fifth photo in class order (100), evaluated on the other 400; FP32 top-1,
 * INT8 top-1 and agreement with FP32 for no pass, cross-layer equalization, bias correction and
 * both, with per-channel weights (the default profile) and per-tensor weights, and the time each
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
    LargeStack.run(() -> run());
  }

  /** A list of preprocessed photos with their class indices, in batches of one. */
  private record Photos(List<Tensor> images, int[] labels) implements Dataset {
    @Override
    public String describe() {
      return "imagenet-dev (" + images.size() + " photos)";
    }

    @Override
    public int size() {
      return images.size();
    }

    @Override
    public long[] sampleShape() {
      return new long[] {3, 224, 224};
    }

    @Override
    public Iterator<Batch> batches(int batchSize, int limit) {
      Iterator<Tensor> it = images.subList(0, Math.min(limit, images.size())).iterator();
      int[] at = {0};
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Batch next() {
          return new Batch(it.next(), new int[] {labels[at[0]++]});
        }
      };
    }
  }

  private static void run() throws Exception {
    System.out.println("host: " + HostCpu.current().describe());
    fashionMnist();
    Path dev = SharedModels.find("imagenet-dev").orElse(null);
    if (SqueezeNetFixtures.model().isEmpty() || dev == null) {
      System.out.println("squeezenet skipped: " + SqueezeNetFixtures.missingReason() + " / imagenet-dev");
      return;
    }
    Preprocessing pre = Preprocessing.parse(SqueezeNetFixtures.PREPROCESS);
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dev)) {
      s.filter(p -> p.toString().endsWith(".jpg") || p.toString().endsWith(".png")).sorted().forEach(files::add);
    }
    List<Tensor> calImages = new ArrayList<>();
    List<Integer> calLabels = new ArrayList<>();
    List<Tensor> evalImages = new ArrayList<>();
    List<Integer> evalLabels = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      Tensor x = Images.read(f, pre);
      int label = Integer.parseInt(f.getParent().getFileName().toString());
      (i % 5 == 0 ? calImages : evalImages).add(x);
      (i % 5 == 0 ? calLabels : evalLabels).add(label);
    }
    Photos cal = new Photos(calImages, calLabels.stream().mapToInt(Integer::intValue).toArray());
    Photos eval = new Photos(evalImages, evalLabels.stream().mapToInt(Integer::intValue).toArray());
    Graph fp32 = SqueezeNetFixtures.fp32();
    System.out.println("SqueezeNet, imagenet-dev: calibrate on every fifth photo, evaluate on the rest");
    long t0 = System.nanoTime();
    CalibrationTable table = Calibration.calibrate(fp32, cal,
        CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET)).withSamples(cal.size()));
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
    System.out.println("Fashion-MNIST sample: calibration split " + s.calibration().count() + ", holdout "
        + s.holdout().count());
    long t0 = System.nanoTime();
    CalibrationTable table = Calibration.calibrate(fp32, cal,
        CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET)));
    ablation(fp32, table, cal, new Photos(images, l), l, (System.nanoTime() - t0) / 1e9);
  }

  private static void ablation(Graph fp32, CalibrationTable table, Dataset cal, Photos eval, int[] labels,
      double calSeconds) throws Exception {
    System.out.printf(Locale.ROOT, "calibration (%s): %.1f s%n", table.method(), calSeconds);
    int[] fp = predict(fp32, eval);
    System.out.printf(Locale.ROOT, "%-10s %-8s %-8s %8s %8s %8s %8s %10s %10s%n", "weights", "CLE", "bias c.",
        "FP32 %", "INT8 %", "drop pt", "agree %", "quant s", "x calib.");
    QuantizeConfig perChannel = QuantizeConfig.defaults();
    QuantizeConfig perTensor = perChannel.withPerTensorWeightOps(Set.of("Conv", "Gemm", "MatMul"));
    for (QuantizeConfig base : List.of(perChannel, perTensor)) {
      for (boolean cle : new boolean[] {false, true}) {
        for (boolean bc : new boolean[] {false, true}) {
          QuantizeConfig c = base.withCrossLayerEqualization(cle).withBiasCorrection(bc);
          long q0 = System.nanoTime();
          ModelQuantizer.Outcome o = ModelQuantizer.quantize(fp32, table, c, cal,
              new ModelQuantizer.Provenance("benchmark", null, "calibration", null));
          double qs = (System.nanoTime() - q0) / 1e9;
          int[] q = predict(o.graph(), eval);
          int fc = 0;
          int qc = 0;
          int ag = 0;
          for (int i = 0; i < fp.length; i++) {
            fc += fp[i] == labels[i] ? 1 : 0;
            qc += q[i] == labels[i] ? 1 : 0;
            ag += fp[i] == q[i] ? 1 : 0;
          }
          double n = fp.length;
          System.out.printf(Locale.ROOT, "%-10s %-8s %-8s %8.2f %8.2f %8.2f %8.2f %10.1f %10.2f%n",
              base == perChannel ? "channel" : "tensor", cle ? "yes" : "-", bc ? "yes" : "-", 100 * fc / n,
              100 * qc / n, 100 * (fc - qc) / n, 100 * ag / n, qs, qs / calSeconds);
          o.report().passes().forEach(p -> System.out.println("    " + p.name() + ": " + p.changes().stream()
              .filter(l -> !l.startsWith("bias correction")).limit(12).toList()));
        }
      }
    }
  }

  private static int[] predict(Graph g, Photos data) throws Exception {
    int[] out = new int[data.size()];
    try (InferenceSession s = OrtRuntime.get().open(g, SessionOptions.defaults().withThreads(2))) {
      String in = s.inputNames().get(0);
      Iterator<Batch> it = data.batches(1, data.size());
      int i = 0;
      while (it.hasNext()) {
        Tensor scores = s.run(Map.of(in, it.next().input().withName(in))).values().iterator().next();
        out[i++] = BatchRunner.argmax(scores.toFloats(), 0, (int) scores.elementCount());
      }
    }
    return out;
  }
}
