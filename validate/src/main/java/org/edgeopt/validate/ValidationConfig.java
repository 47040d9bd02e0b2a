package org.edgeopt.validate;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything one validation run needs: the two models, the holdout data and how to read it, the
 * gate's thresholds and how much work to spend on latency and per-layer diagnosis.
 *
 * <p>Start from {@link #of(Path, Path, Path)} and change what differs with the {@code with...}
 * methods; the record is immutable and is written into the report's provenance as it is.
 *
 * @param reference the FP32 reference model ({@code .onnx} or TorchScript {@code .pt})
 * @param candidate the optimized model ({@code .onnx}, {@code .pt}, or {@code .tflite} when the
 *     TFLite target is on the class path)
 * @param holdout the labelled holdout data (IDX folder or file, CSV, {@code .npy}, image folder)
 * @param preprocess the preprocessing spec, e.g. {@code scale=0.00392156862745098,mean=0.2860,std=0.3530};
 *     empty for raw values
 * @param classNames the class names, indexed by label; empty when not known
 * @param labelColumn the label column of a CSV holdout, or {@code null} for {@code label}
 * @param task whether outputs are class scores, or values compared element by element
 * @param thresholds the gate
 * @param batchSize the batch size of the accuracy pass (a model's fixed batch dimension wins)
 * @param threads intra-op threads of every session, fixed so latency figures are comparable
 * @param latencyRuns timed batch-1 runs per model; 0 skips latency
 * @param warmupRuns untimed runs before timing starts
 * @param diagnosisBatches holdout batches of {@code batchSize} samples for the per-layer diagnosis; 0 skips it
 * @param limit the largest number of holdout samples to use
 * @param target the target profile whose arithmetic the candidate is run with (a name or a
 *     profile .json); empty to take it from the candidate's edgeopt metadata
 * @param arithmetic whether INT8 layers compute as the target does ({@link Arithmetic#TARGET},
 *     emulated where the host's kernels differ) or as the host's kernels do
 */
public record ValidationConfig(
    Path reference,
    Path candidate,
    Path holdout,
    String preprocess,
    List<String> classNames,
    String labelColumn,
    Task task,
    Thresholds thresholds,
    int batchSize,
    int threads,
    int latencyRuns,
    int warmupRuns,
    int diagnosisBatches,
    int limit,
    String target,
    Arithmetic arithmetic) {

  /** Whose integer arithmetic the candidate is run with. */
  public enum Arithmetic {
    /** The target's: exact, emulated with ONNX Runtime's exact kernels where the host's would saturate. */
    TARGET,
    /** The host's kernels as they are, even where they compute other integers than the target. */
    HOST
  }

  /** What the model's first output holds. */
  public enum Task {
    /** Class scores when the output has two or more values per sample and the data has labels. */
    AUTO,
    /** Class scores (logits or probabilities), compared by accuracy, agreement and confidence. */
    CLASSIFICATION,
    /** Anything else (a regression value, a detector head), compared element by element. */
    REGRESSION
  }

  /** The default batch size of the accuracy pass. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  /** The default number of timed latency runs per model. */
  public static final int DEFAULT_LATENCY_RUNS = 100;

  /** The default number of warm-up runs. */
  public static final int DEFAULT_WARMUP_RUNS = 10;

  /** The default number of holdout batches for the per-layer diagnosis. */
  public static final int DEFAULT_DIAGNOSIS_BATCHES = 4;

  /**
   * Checks the paths and counts.
   *
   * @throws NullPointerException if a path or the thresholds are missing
   * @throws IllegalArgumentException if a count is out of range
   */
  public ValidationConfig {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(holdout, "holdout");
    preprocess = preprocess == null ? "" : preprocess;
    classNames = classNames == null ? List.of() : List.copyOf(classNames);
    task = task == null ? Task.AUTO : task;
    Objects.requireNonNull(thresholds, "thresholds");
    positive("batch size", batchSize);
    if (threads < 0) {
      throw new IllegalArgumentException(
          "threads must be >= 0 (0 = the runtime's choice), was " + threads);
    }
    if (latencyRuns < 0 || warmupRuns < 0 || diagnosisBatches < 0) {
      throw new IllegalArgumentException(
          "latency runs, warm-up runs and diagnosis batches must be >= 0, were "
              + latencyRuns
              + ", "
              + warmupRuns
              + ", "
              + diagnosisBatches);
    }
    positive("limit", limit);
    target = target == null ? "" : target;
    arithmetic = arithmetic == null ? Arithmetic.TARGET : arithmetic;
  }

  private static void positive(String what, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(what + " must be > 0, was " + v);
    }
  }

  /**
   * Returns a configuration with the defaults: raw input values, the default gate, batches of
   * {@value #DEFAULT_BATCH_SIZE}, one thread, {@value #DEFAULT_LATENCY_RUNS} latency runs after
   * {@value #DEFAULT_WARMUP_RUNS} warm-ups and {@value #DEFAULT_DIAGNOSIS_BATCHES} diagnosis batches.
   */
  public static ValidationConfig of(Path reference, Path candidate, Path holdout) {
    return new ValidationConfig(
        reference,
        candidate,
        holdout,
        "",
        List.of(),
        null,
        Task.AUTO,
        Thresholds.defaults(),
        DEFAULT_BATCH_SIZE,
        1,
        DEFAULT_LATENCY_RUNS,
        DEFAULT_WARMUP_RUNS,
        DEFAULT_DIAGNOSIS_BATCHES,
        Integer.MAX_VALUE,
        "",
        Arithmetic.TARGET);
  }

  /** Returns a copy with another preprocessing spec. */
  public ValidationConfig withPreprocess(String spec) {
    return edit(e -> e.preprocess = spec);
  }

  /** Returns a copy with other class names. */
  public ValidationConfig withClassNames(List<String> names) {
    return edit(e -> e.classNames = names);
  }

  /** Returns a copy with another CSV label column. */
  public ValidationConfig withLabelColumn(String column) {
    return edit(e -> e.labelColumn = column);
  }

  /** Returns a copy with another task. */
  public ValidationConfig withTask(Task newTask) {
    return edit(e -> e.task = newTask);
  }

  /** Returns a copy with other thresholds. */
  public ValidationConfig withThresholds(Thresholds t) {
    return edit(e -> e.thresholds = t);
  }

  /** Returns a copy with another accuracy-pass batch size. */
  public ValidationConfig withBatchSize(int n) {
    return edit(e -> e.batchSize = n);
  }

  /** Returns a copy with another thread count. */
  public ValidationConfig withThreads(int n) {
    return edit(e -> e.threads = n);
  }

  /** Returns a copy with other latency settings. */
  public ValidationConfig withLatency(int runs, int warmups) {
    return edit(
        e -> {
          e.latencyRuns = runs;
          e.warmupRuns = warmups;
        });
  }

  /** Returns a copy with another number of diagnosis batches. */
  public ValidationConfig withDiagnosisBatches(int n) {
    return edit(e -> e.diagnosisBatches = n);
  }

  /** Returns a copy that uses at most {@code n} holdout samples. */
  public ValidationConfig withLimit(int n) {
    return edit(e -> e.limit = n);
  }

  /** Returns a copy that runs the candidate with this target profile's arithmetic. */
  public ValidationConfig withTarget(String profile) {
    return edit(e -> e.target = profile);
  }

  /** Returns a copy that runs the candidate's integer layers with the target's or the host's arithmetic. */
  public ValidationConfig withArithmetic(Arithmetic a) {
    return edit(e -> e.arithmetic = a);
  }

  /** Returns a copy with the components {@code change} sets; the others are this config's. */
  private ValidationConfig edit(java.util.function.Consumer<Edit> change) {
    Edit e = new Edit(this);
    change.accept(e);
    return e.build();
  }

  /** A mutable copy of the components, so that each with-method names only what it changes. */
  private static final class Edit {
    Path reference;
    Path candidate;
    Path holdout;
    String preprocess;
    List<String> classNames;
    String labelColumn;
    Task task;
    Thresholds thresholds;
    int batchSize;
    int threads;
    int latencyRuns;
    int warmupRuns;
    int diagnosisBatches;
    int limit;
    String target;
    Arithmetic arithmetic;

    Edit(ValidationConfig v) {
      reference = v.reference;
      candidate = v.candidate;
      holdout = v.holdout;
      preprocess = v.preprocess;
      classNames = v.classNames;
      labelColumn = v.labelColumn;
      task = v.task;
      thresholds = v.thresholds;
      batchSize = v.batchSize;
      threads = v.threads;
      latencyRuns = v.latencyRuns;
      warmupRuns = v.warmupRuns;
      diagnosisBatches = v.diagnosisBatches;
      limit = v.limit;
      target = v.target;
      arithmetic = v.arithmetic;
    }

    ValidationConfig build() {
      return new ValidationConfig(
          reference,
          candidate,
          holdout,
          preprocess,
          classNames,
          labelColumn,
          task,
          thresholds,
          batchSize,
          threads,
          latencyRuns,
          warmupRuns,
          diagnosisBatches,
          limit,
          target,
          arithmetic);
    }
  }
}
