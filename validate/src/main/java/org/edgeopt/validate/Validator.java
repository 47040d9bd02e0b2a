package org.edgeopt.validate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.runtime.InferenceRuntime;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Validates a candidate model against its FP32 reference on a holdout set and returns the
 * {@link ValidationReport} with the gate's verdict.
 *
 * <p>The holdout is streamed one batch at a time through both models (ONNX Runtime for
 * {@code .onnx}, PyTorch for TorchScript, a plug-in runtime for {@code .tflite}). Then the
 * per-layer diagnosis runs on a few batches, and both models are timed at batch 1. Anything that
 * stops the comparison (a missing or broken model, an empty holdout, an input shape or a label
 * the models cannot take) is an {@link EdgeoptException} with exit code 3, never a report.
 */
public final class Validator {
  private Validator() {}

  /** Validates without reporting progress. */
  public static ValidationReport validate(ValidationConfig config) throws EdgeoptException {
    return validate(config, ProgressListener.silent());
  }

  /**
   * Validates, reporting progress of each long step.
   *
   * @throws EdgeoptException (exit code 3) when the validation cannot run
   */
  public static ValidationReport validate(ValidationConfig config, ProgressListener progress)
      throws EdgeoptException {
    return validate(config, progress, HoldoutPass.LOCAL);
  }

  /**
   * Validates with the accuracy pass run by {@code pass} (a cluster's, for instance); the per-layer
   * diagnosis and the latency run in this JVM.
   *
   * @throws EdgeoptException (exit code 3) when the validation cannot run
   */
  public static ValidationReport validate(
      ValidationConfig config, ProgressListener progress, HoldoutPass pass)
      throws EdgeoptException {
    return validate(config, progress, pass, null);
  }

  /**
   * Validates a holdout the caller has opened ({@code opened}; null reads {@code config.holdout()}
   * as above): the accuracy pass runs over all of it through {@code pass}, the task decision, the
   * per-layer diagnosis and the latency over its first samples in this JVM.
   *
   * @throws EdgeoptException (exit code 3) when the validation cannot run
   */
  public static ValidationReport validate(
      ValidationConfig config, ProgressListener progress, HoldoutPass pass, OpenedHoldout opened)
      throws EdgeoptException {
    try {
      return run(config, progress, pass, opened);
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
  }

  private static ValidationReport run(
      ValidationConfig config, ProgressListener progress, HoldoutPass pass, OpenedHoldout opened)
      throws EdgeoptException {
    long started = System.nanoTime();
    requireFile(config.reference(), "reference model");
    requireFile(config.candidate(), "candidate model");
    String where = opened == null ? config.holdout().toString() : opened.where();
    if (opened == null && !Files.exists(config.holdout())) {
      throw EdgeoptException.invalid(config.holdout() + ": holdout data not found");
    }
    if (config.thresholds().maxP95LatencyMs() != null && config.latencyRuns() == 0) {
      throw EdgeoptException.invalid(
          "max p95 latency "
              + config.thresholds().maxP95LatencyMs()
              + " ms needs latency runs, but 0 were asked for: expected at least 1");
    }
    Preprocessing pre = Preprocessing.parse(config.preprocess());
    Dataset data =
        opened != null
            ? opened.head()
            : Datasets.open(
                config.holdout(),
                pre,
                config.classNames().isEmpty() ? null : config.classNames(),
                config.labelColumn());
    int total = Math.min(opened == null ? data.size() : opened.samples(), config.limit());
    if (total <= 0) {
      throw EdgeoptException.invalid(where + ": the holdout has no samples: expected at least one");
    }
    SessionOptions options = SessionOptions.defaults().withThreads(config.threads());
    ArithmeticPlanner.Plan arithmetic = ArithmeticPlanner.plan(config, HostCpu.current());
    InferenceRuntime refRuntime = Runtimes.forModel(config.reference(), List.of("input"));
    InferenceRuntime candRuntime = Runtimes.forModel(config.candidate(), List.of("input"));
    try (InferenceSession ref = refRuntime.open(config.reference(), options);
        InferenceSession cand =
            candRuntime.open(
                config.candidate(), options.withInt8Arithmetic(arithmetic.session()))) {
      ModelFeeds.requireInputAndOutput(ref, config.reference().toString());
      ModelFeeds.requireInputAndOutput(cand, config.candidate().toString());
      checkInput(ref, data, config.reference(), where);
      checkInput(cand, data, config.candidate(), where);
      int batch =
          ModelFeeds.batchSize(
              config.batchSize(),
              ref,
              cand,
              config.reference().toString(),
              config.candidate().toString());

      HoldoutPass.Settings settings =
          new HoldoutPass.Settings(
              isClassification(config, where, data, ref, batch, total),
              config.classNames(),
              config.thresholds().maxOutputError(),
              where,
              batch,
              total,
              config.threads(),
              arithmetic.session());
      DriftAccumulator drift = pass.run(data, ref, cand, settings, progress);
      if (drift.samples() == 0) {
        throw EdgeoptException.invalid(
            where + ": the holdout yielded no samples: expected at least one");
      }
      boolean classification = drift.classification() != null;
      LayerDiagnosis diagnosis =
          LayerDiagnoser.diagnose(
              config.reference(),
              config.candidate(),
              data,
              config.batchSize(),
              config.diagnosisBatches(),
              config.threads(),
              progress);

      ValidationReport.Latency latency = null;
      ValidationReport.PipelineBreakdown pipeline = null;
      if (config.latencyRuns() > 0) {
        int one =
            Math.max(
                1,
                ModelFeeds.fixedBatch(ref) > 0
                    ? ModelFeeds.fixedBatch(ref)
                    : ModelFeeds.fixedBatch(cand));
        Iterator<Batch> first = data.batches(one, one);
        Tensor sample = first.next().input();
        latency =
            LatencyBenchmark.compare(
                ref,
                runtimeLabel(refRuntime, config),
                cand,
                runtimeLabel(candRuntime, config),
                sample,
                config.warmupRuns(),
                config.latencyRuns(),
                config.threads(),
                progress);
        pipeline =
            LatencyBenchmark.pipeline(
                cand,
                data,
                one,
                config.warmupRuns(),
                Math.min(total, config.latencyRuns()),
                classification);
      }
      ValidationReport.Classification cls = drift.classification();
      ValidationReport.OutputComparison outputs = drift.outputs();
      ValidationReport.GateResult gate = Gate.evaluate(config.thresholds(), cls, outputs, latency);
      if (drift.candidateNonFinite() != null) {
        gate =
            Gate.withNonFiniteOutputs(
                gate, drift.candidateNonFiniteValues(), drift.candidateNonFinite());
      }
      return new ValidationReport(
          gate,
          classification ? "classification" : "regression",
          modelRun(config.reference(), refRuntime, ref, drift.valuesPerSample()),
          modelRun(config.candidate(), candRuntime, cand, drift.valuesPerSample()),
          new ValidationReport.Holdout(
              where, data.describe(), drift.samples(), pre.toSpec(), config.classNames()),
          cls,
          outputs,
          drift.confidence(),
          diagnosis,
          latency,
          pipeline,
          provenance(config, pass.engine(), (System.nanoTime() - started) / 1e9, opened),
          ArithmeticPlanner.withLatency(arithmetic.section(), latency));
    }
  }

  /**
   * Runs both models over the first {@code settings.limit()} samples of {@code data} and returns
   * the drift figures: the accuracy pass of one machine, and of each Spark partition.
   *
   * @throws EdgeoptException (invalid input) when a sample or an output cannot be judged
   */
  public static DriftAccumulator accumulate(
      Dataset data,
      InferenceSession ref,
      InferenceSession cand,
      HoldoutPass.Settings settings,
      ProgressListener progress)
      throws EdgeoptException {
    String refOut = ref.outputNames().get(0);
    String candOut = cand.outputNames().get(0);
    DriftAccumulator drift =
        new DriftAccumulator(
            settings.classification(),
            settings.classNames(),
            settings.tolerance(),
            settings.holdoutWhere());
    progress.start("Holdout", settings.limit());
    try {
      Iterator<Batch> it = data.batches(settings.batchSize(), settings.limit());
      while (it.hasNext()) {
        Batch b = it.next();
        requireFinite(b, drift.samples(), settings.holdoutWhere());
        Tensor r = ref.run(ModelFeeds.feed(ref, b.input()), List.of(refOut)).get(refOut);
        Tensor c = cand.run(ModelFeeds.feed(cand, b.input()), List.of(candOut)).get(candOut);
        drift.add(b.labels(), r, c);
        progress.advance(b.size());
      }
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    } finally {
      progress.finish();
    }
    return drift;
  }

  /** Decides on the holdout's first batch, as the reference answers it, whether outputs are class scores. */
  private static boolean isClassification(
      ValidationConfig config,
      String where,
      Dataset data,
      InferenceSession ref,
      int batch,
      int total)
      throws EdgeoptException {
    if (config.task() != ValidationConfig.Task.AUTO) {
      return config.task() == ValidationConfig.Task.CLASSIFICATION;
    }
    Iterator<Batch> it = data.batches(batch, Math.min(batch, total));
    if (!it.hasNext()) {
      throw EdgeoptException.invalid(
          where + ": the holdout yielded no samples: expected at least one");
    }
    Batch b = it.next();
    requireFinite(b, 0, where);
    String out = ref.outputNames().get(0);
    return isClassification(
        config.task(), b, ref.run(ModelFeeds.feed(ref, b.input()), List.of(out)).get(out));
  }

  /** Refuses a holdout sample holding NaN or infinity: no model's answer to it can be judged. */
  private static void requireFinite(Batch b, int firstSample, String holdout)
      throws EdgeoptException {
    float[] x = b.input().toFloats();
    int bad = DriftAccumulator.firstNonFinite(x);
    if (bad >= 0) {
      int per = Math.max(1, x.length / Math.max(1, b.size()));
      throw EdgeoptException.invalid(
          holdout
              + ": sample "
              + (firstSample + bad / per)
              + " holds "
              + x[bad]
              + " at value "
              + (bad % per)
              + " (after preprocessing): expected finite numbers in the holdout");
    }
  }

  private static boolean isClassification(ValidationConfig.Task task, Batch first, Tensor output) {
    return switch (task) {
      case CLASSIFICATION -> true;
      case REGRESSION -> false;
      case AUTO ->
          output.elementCount() / Math.max(1, first.size()) >= 2
              && Arrays.stream(first.labels()).allMatch(l -> l >= 0);
    };
  }

  /** Fails with one clear line when the holdout's samples do not fit the model's declared input. */
  private static void checkInput(InferenceSession s, Dataset data, Path model, String holdout)
      throws EdgeoptException {
    TensorType t = ModelFeeds.inputType(s);
    if (t == null || t.shape() == null) {
      return;
    }
    long[] want = t.shape().sizes();
    long[] sample = data.sampleShape();
    if (!ModelFeeds.fits(want, sample)) {
      throw EdgeoptException.invalid(
          model
              + ": input '"
              + s.inputNames().get(0)
              + "' expects "
              + ModelFeeds.describe(t)
              + " but the holdout "
              + holdout
              + " gives samples of "
              + Arrays.toString(sample)
              + ": expected the sample shape to match the input without its batch dimension, size-1"
              + " dimensions aside (check --preprocess)");
    }
  }

  /**
   * Hashes a holdout folder as a tree; a holdout file together with the label file read beside it
   * (IDX labels, {@code labels.npy}), since both decide the result.
   */
  private static String holdoutHash(Path holdout) throws IOException {
    if (Files.isDirectory(holdout)) {
      return Hashes.sha256Tree(holdout);
    }
    String name = holdout.getFileName().toString();
    Path labels = null;
    if (name.contains("idx3")) {
      try (var s = Files.list(holdout.toAbsolutePath().getParent())) {
        labels =
            s.filter(p -> p.getFileName().toString().contains("idx1"))
                .sorted()
                .findFirst()
                .orElse(null);
      }
    } else if (name.endsWith(".npy")) {
      labels = holdout.resolveSibling("labels.npy");
    }
    if (labels == null || !Files.isRegularFile(labels)) {
      return Hashes.sha256(holdout);
    }
    return Hashes.sha256(
        (Hashes.sha256(holdout) + "\n" + Hashes.sha256(labels))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static void requireFile(Path p, String what) throws EdgeoptException {
    if (!Files.isRegularFile(p)) {
      throw EdgeoptException.invalid(p + ": " + what + " not found: expected a model file");
    }
  }

  private static String runtimeLabel(InferenceRuntime runtime, ValidationConfig config) {
    String threads =
        config.threads() == 0
            ? "default threads"
            : config.threads() + (config.threads() == 1 ? " thread" : " threads");
    // Only ONNX Runtime is given an optimization level; other runtimes run the file as it is.
    return runtime.name()
        + (runtime instanceof org.edgeopt.core.runtime.OrtRuntime
            ? " (all graph optimizations, "
            : " (")
        + threads
        + ")";
  }

  private static ValidationReport.ModelRun modelRun(
      Path path, InferenceRuntime runtime, InferenceSession s, int values) {
    return new ValidationReport.ModelRun(
        path.toString(),
        runtime.name(),
        s.inputNames().get(0),
        ModelFeeds.describe(ModelFeeds.inputType(s)),
        s.outputNames().get(0),
        values);
  }

  private static ValidationReport.Provenance provenance(
      ValidationConfig c, String engine, double seconds, OpenedHoldout opened)
      throws EdgeoptException {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("reference", c.reference().toString());
    config.put("candidate", c.candidate().toString());
    config.put("holdout", opened == null ? c.holdout().toString() : opened.where());
    config.put("preprocess", c.preprocess());
    config.put("classNames", c.classNames());
    config.put("labelColumn", c.labelColumn());
    config.put("task", c.task().name().toLowerCase(Locale.ROOT));
    Map<String, Object> thresholds = new LinkedHashMap<>();
    thresholds.put("maxTop1DropPoints", c.thresholds().maxTop1DropPoints());
    thresholds.put("minAgreementPercent", c.thresholds().minAgreementPercent());
    thresholds.put("maxP95LatencyMs", c.thresholds().maxP95LatencyMs());
    thresholds.put("maxOutputError", c.thresholds().maxOutputError());
    config.put("thresholds", thresholds);
    config.put("batchSize", c.batchSize());
    config.put("threads", c.threads());
    config.put("latencyRuns", c.latencyRuns());
    config.put("warmupRuns", c.warmupRuns());
    config.put("diagnosisBatches", c.diagnosisBatches());
    config.put("limit", c.limit() == Integer.MAX_VALUE ? null : c.limit());
    config.put("target", c.target().isEmpty() ? null : c.target());
    config.put("arithmetic", c.arithmetic().name().toLowerCase(Locale.ROOT));
    if (engine != null) {
      config.put("engine", engine);
    }
    if (opened != null) {
      config.put("holdoutSha256Of", opened.sha256Of());
    }
    try {
      return new ValidationReport.Provenance(
          Version.PRODUCER,
          Version.get(),
          Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
          System.getProperty("java.vendor") + " " + System.getProperty("java.version"),
          System.getProperty("os.name") + " " + System.getProperty("os.arch"),
          java.util.Collections.unmodifiableMap(config),
          Hashes.sha256(c.reference()),
          Hashes.sha256(c.candidate()),
          opened == null ? holdoutHash(c.holdout()) : opened.sha256(),
          Math.round(seconds * 1000) / 1000.0);
    } catch (IOException e) {
      throw EdgeoptException.invalid("cannot hash the inputs for provenance: " + e.getMessage(), e);
    }
  }
}
