package org.edgeopt.optimize.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.optimize.AccuracyBar;
import org.edgeopt.optimize.Objective;
import org.edgeopt.optimize.OptimizeListener;
import org.edgeopt.optimize.OptimizeRequest;
import org.edgeopt.optimize.OptimizeResult;
import org.edgeopt.optimize.Optimizer;
import org.edgeopt.optimize.SearchLog;
import org.edgeopt.optimize.Trial;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;

/**
 * The acceptance runs of {@code edgeopt optimize} that take minutes, so not unit tests:
 *
 * <ul>
 *   <li>{@code fashion}: the Fashion-MNIST sample for onnxruntime-cpu, bar 0.3 points, the whole
 *       holdout; then the winner timed side by side (interleaved) against each of the four plain
 *       methods that meet the bar, and against itself ({@code fashion-side} repeats only this);
 *   <li>{@code mnist7}: mnist-7 for edgetpu, calibrated on the first 1,000 MNIST test images and
 *       measured on the other 9,000, bar 0.2 points;
 *   <li>{@code squeezenet}: SqueezeNet 1.0 for onnxruntime-cpu on a few ImageNet photos, for the
 *       search time of a model with many layers.
 * </ul>
 *
 * <p>Run: {@code java -cp <optimize test classpath> org.edgeopt.optimize.bench.OptimizeBenchmark
 * OUT_DIR [fashion] [mnist7] [squeezenet]}; see docs/benchmarks.md.
 */
public final class OptimizeBenchmark {
  private OptimizeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : "target/optimize-bench");
    List<String> which =
        args.length > 1
            ? Arrays.asList(args).subList(1, args.length)
            : List.of("fashion", "mnist7", "squeezenet");
    HostCpu cpu = HostCpu.current();
    System.out.printf(
        "host: %s, %s, %d cores%n",
        cpu.model(), cpu.arch(), Runtime.getRuntime().availableProcessors());
    if (which.contains("fashion")) {
      fashion(root.resolve("fashion"));
    }
    if (which.contains("fashion-side")) {
      sideBySide(root.resolve("fashion"));
    }
    if (which.contains("mnist7")) {
      mnist7(root.resolve("mnist7"));
    }
    if (which.contains("squeezenet")) {
      squeezenet(root.resolve("squeezenet"));
    }
  }

  private static void fashion(Path out) throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Path holdout = s.holdout().images().getParent();
    OptimizeRequest r =
        OptimizeRequest.of(
                s.model(),
                "onnxruntime-cpu",
                s.calibration().images().getParent(),
                holdout,
                s.preprocess(),
                new AccuracyBar(0.3, 0),
                out)
            .withTrials(16)
            .withBudget(Duration.ofMinutes(10))
            .withClasses(s.classNames());
    OptimizeResult result = run("fashion-mnist onnxruntime-cpu", r);
    if (result.met()) {
      sideBySide(out);
    }
  }

  /**
   * Times the winner of the search recorded in {@code out} against each plain method within the
   * bar, interleaved, and against itself (A/A: what the interleaving alone reports).
   */
  private static void sideBySide(Path out) throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Path holdout = s.holdout().images().getParent();
    SearchLog log = SearchLog.read(out.resolve(SearchLog.FILE));
    Path trials = out.resolve(Optimizer.TRIALS);
    Path winner = trials.resolve(String.format(Locale.ROOT, "trial-%03d.onnx", log.winner()));
    side(winner, "winner", winner, "itself (A/A)", holdout, s.preprocess());
    for (Trial t : log.trials().subList(0, 4)) {
      if (!t.meetsBar()) {
        System.out.printf(
            Locale.ROOT,
            "  plain %s misses the bar (drop %.2f)%n",
            t.config().label(),
            t.top1Drop());
        continue;
      }
      Path plain = trials.resolve(String.format(Locale.ROOT, "trial-%03d.onnx", t.index()));
      side(winner, "winner", plain, "plain " + t.config().label(), holdout, s.preprocess());
    }
  }

  /**
   * Times {@code candidate} against {@code reference}, interleaved, 1,000 runs each after 100
   * warm-ups, in both orders: the model run second in each pair measured up to ~8% faster in an
   * A/A run here, and the geometric mean of the two ratios cancels that.
   */
  private static void side(
      Path candidate,
      String candidateName,
      Path reference,
      String referenceName,
      Path holdout,
      String preprocess)
      throws Exception {
    ValidationReport ab = time(reference, candidate, holdout, preprocess);
    ValidationReport ba = time(candidate, reference, holdout, preprocess);
    double ratio = Math.sqrt(ab.latency().speedup() / ba.latency().speedup());
    System.out.printf(
        Locale.ROOT,
        "  side by side: %s %.3f/%.3f ms vs %s %.3f/%.3f ms p50 (run second/first):"
            + " %.2fx (%.2fx as second, %.2fx as first)%n",
        candidateName,
        ab.latency().candidate().p50Ms(),
        ba.latency().reference().p50Ms(),
        referenceName,
        ba.latency().candidate().p50Ms(),
        ab.latency().reference().p50Ms(),
        ratio,
        ab.latency().speedup(),
        1 / ba.latency().speedup());
  }

  private static ValidationReport time(Path first, Path second, Path holdout, String preprocess)
      throws Exception {
    return Validator.validate(
        ValidationConfig.of(first, second, holdout)
            .withPreprocess(preprocess)
            .withLatency(1000, 100)
            .withDiagnosisBatches(0)
            .withLimit(32)
            .withTarget("onnxruntime-cpu"));
  }

  private static void mnist7(Path out) throws Exception {
    Path model = SharedModels.find("mnist-7/mnist.onnx").orElse(null);
    Path t10k = SharedModels.find("mnist-t10k").orElse(null);
    if (model == null || t10k == null) {
      System.out.println("mnist7 skipped: " + SharedModels.missingReason());
      return;
    }
    Path calibration = out.resolveSibling("mnist-split/calibration");
    Path holdout = out.resolveSibling("mnist-split/holdout");
    split(t10k, 1000, calibration, holdout);
    OptimizeRequest r =
        OptimizeRequest.of(model, "edgetpu", calibration, holdout, "", new AccuracyBar(0.2, 0), out)
            .withTrials(8)
            .withBudget(Duration.ofMinutes(15));
    run("mnist-7 edgetpu (9,000 held-out images)", r);
    String compat = Files.readString(out.resolve("edgetpu-compatibility.json"));
    System.out.println(
        "  edgetpu-compatibility.json mappedFraction: "
            + compat.replaceAll("(?s).*\"mappedFraction\"\\s*:\\s*([0-9.]+).*", "$1"));
  }

  private static void squeezenet(Path out) throws Exception {
    Path model = SharedModels.find("squeezenet-1.0/SqueezeNet_fp16.onnx").orElse(null);
    Path photos = SharedModels.find("imagenet-dev").orElse(null);
    if (model == null || photos == null) {
      System.out.println("squeezenet skipped: " + SharedModels.missingReason());
      return;
    }
    OptimizeRequest r =
        OptimizeRequest.of(
                model,
                "onnxruntime-cpu",
                photos,
                photos,
                "resize=256,crop=224,channels=bgr,mean=104:117:123",
                new AccuracyBar(2.0, 0),
                out)
            .withTrials(6)
            .withSamples(64, 100)
            .withLatencyRuns(50)
            .withObjective(Objective.LATENCY)
            .withBudget(Duration.ofMinutes(20));
    run("squeezenet-1.0 onnxruntime-cpu (26 conv layers, 100 photos)", r);
  }

  private static OptimizeResult run(String name, OptimizeRequest r) throws Exception {
    long t0 = System.nanoTime();
    OptimizeResult result =
        new Optimizer(
                r,
                new OptimizeListener() {
                  @Override
                  public void step(String message) {
                    System.out.printf(
                        Locale.ROOT, "  [%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, message);
                  }

                  @Override
                  public void trialFinished(Trial t, Trial best, int done, int max, Duration left) {
                    System.out.printf(
                        Locale.ROOT,
                        "  [%6.1fs] trial %d/%d [%s] %s: top-1 %.2f%%, drop %.2f, agreement %.2f%%,"
                            + " %.2fx%s (modelled %.2fx), %,d bytes, %.1f s%n",
                        (System.nanoTime() - t0) / 1e9,
                        done,
                        max,
                        t.phase(),
                        t.config().label(),
                        t.top1(),
                        t.top1Drop(),
                        t.agreement(),
                        t.speedup(),
                        t.latencyMeasured() ? " measured" : "",
                        t.modelledSpeedup(),
                        t.sizeBytes(),
                        t.seconds());
                  }
                })
            .run();
    double s = (System.nanoTime() - t0) / 1e9;
    double mean = result.log().trials().stream().mapToDouble(Trial::seconds).average().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "%s: %s in %.1f s (%d trials, %.1f s per trial)%n  %s%n",
        name,
        result.met() ? "MET" : "NOT MET",
        s,
        result.log().trials().size(),
        mean,
        result.log().why());
    return result;
  }

  /** Writes the first {@code n} images of an IDX pair to one folder and the rest to another. */
  private static void split(Path idxFolder, int n, Path first, Path rest) throws IOException {
    Files.createDirectories(first);
    Files.createDirectories(rest);
    byte[] images = gunzip(idxFolder.resolve("t10k-images-idx3-ubyte.gz"));
    byte[] labels = gunzip(idxFolder.resolve("t10k-labels-idx1-ubyte.gz"));
    int count = ByteBuffer.wrap(images, 4, 4).getInt();
    int pixels = ByteBuffer.wrap(images, 8, 4).getInt() * ByteBuffer.wrap(images, 12, 4).getInt();
    writeIdx(first.resolve("images-idx3-ubyte.gz"), images, 16, 0, n, pixels);
    writeIdx(rest.resolve("images-idx3-ubyte.gz"), images, 16, n, count - n, pixels);
    writeIdx(first.resolve("labels-idx1-ubyte.gz"), labels, 8, 0, n, 1);
    writeIdx(rest.resolve("labels-idx1-ubyte.gz"), labels, 8, n, count - n, 1);
  }

  private static void writeIdx(
      Path file, byte[] idx, int header, int from, int count, int itemBytes) throws IOException {
    byte[] head = Arrays.copyOf(idx, header);
    ByteBuffer.wrap(head, 4, 4).putInt(count);
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
      o.write(head);
      o.write(idx, header + from * itemBytes, count * itemBytes);
    }
  }

  private static byte[] gunzip(Path file) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    }
  }
}
