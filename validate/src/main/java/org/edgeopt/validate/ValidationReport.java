package org.edgeopt.validate;

import java.util.List;
import java.util.Map;

/**
 * The complete result of one validation: every figure, the gate's verdict with its reasons, and
 * the provenance needed to reproduce it. Written as {@code report.json}, {@code junit.xml} and
 * {@code report.html} by {@link ReportWriter}.
 *
 * <p>Accuracy figures are percentages (98.91 means 98.91%), drops are percentage points
 * (reference minus candidate, so a positive drop is a loss), times are milliseconds.
 *
 * @param gate the verdict and the check of each threshold
 * @param task {@code classification} or {@code regression}
 * @param reference how the reference model was run
 * @param candidate how the candidate model was run
 * @param holdout the data the models were compared on
 * @param classification accuracy, agreement and per-class figures; {@code null} for regression
 * @param outputs element-wise comparison of the two models' outputs
 * @param confidence the confidence distributions; {@code null} for regression
 * @param diagnosis the per-layer error diagnosis (or why it did not run)
 * @param latency batch-1 latency of both models; {@code null} when no runs were asked for
 * @param pipeline the candidate's end-to-end time per sample; {@code null} with latency
 * @param provenance tool, configuration and content hashes
 * @param arithmetic the host's CPU and integer kernels, and whether the figures are native or
 *     emulated for the target
 */
public record ValidationReport(
    GateResult gate,
    String task,
    ModelRun reference,
    ModelRun candidate,
    Holdout holdout,
    Classification classification,
    OutputComparison outputs,
    Confidence confidence,
    LayerDiagnosis diagnosis,
    Latency latency,
    PipelineBreakdown pipeline,
    Provenance provenance,
    Arithmetic arithmetic) {

  /**
   * Where the figures were computed, and whether they are what the target computes.
   *
   * @param hostCpu the host's CPU model
   * @param hostArch the host's architecture
   * @param hostFlags the host's instruction-set flags that select integer kernels
   * @param hostInt8Kernel the kernel family ONNX Runtime runs uint8 x int8 products with here
   * @param hostInt8KernelDescription that family in words
   * @param target the target profile whose arithmetic the candidate should have
   * @param targetSource where the profile came from: {@code --target}, {@code candidate metadata} or {@code default}
   * @param targetAssumes the instruction sets (or accelerator) the profile assumes
   * @param int8Layers the candidate's integer layers
   * @param worstCasePairSum the largest uint8 x int8 pair sum any of them can form (not counting
   *     depthwise convolutions); above 32,767 a pair-saturating kernel clamps
   * @param figures {@code native}, {@code emulated for the target}, or {@code host kernels, not the target's}
   * @param explanation why
   * @param mismatch how the host differs from the target, empty when it does not
   * @param latencyNote what the latency figures mean for INT8 on this host and on the target
   */
  public record Arithmetic(
      String hostCpu,
      String hostArch,
      List<String> hostFlags,
      String hostInt8Kernel,
      String hostInt8KernelDescription,
      String target,
      String targetSource,
      String targetAssumes,
      int int8Layers,
      int worstCasePairSum,
      String figures,
      String explanation,
      String mismatch,
      String latencyNote) {
    /** Copies the list. */
    public Arithmetic {
      hostFlags = List.copyOf(hostFlags);
    }

    /** Returns a copy with a latency note. */
    public Arithmetic withLatencyNote(String note) {
      return new Arithmetic(
          hostCpu,
          hostArch,
          hostFlags,
          hostInt8Kernel,
          hostInt8KernelDescription,
          target,
          targetSource,
          targetAssumes,
          int8Layers,
          worstCasePairSum,
          figures,
          explanation,
          mismatch,
          note);
    }

    /** Returns whether the figures are not what the target computes. */
    public boolean targetMismatch() {
      return !mismatch.isEmpty();
    }
  }

  /** Returns whether the gate passed. */
  public boolean passed() {
    return gate.verdict() == Verdict.PASS;
  }

  /** The gate's outcome. */
  public enum Verdict {
    /** Every threshold was met. */
    PASS,
    /** At least one threshold was missed. */
    FAIL
  }

  /**
   * The gate's verdict and each threshold's check.
   *
   * @param verdict PASS when every check passed
   * @param checks one check per threshold, in a fixed order
   * @param reasons the message of every failed check (empty on a pass)
   */
  public record GateResult(Verdict verdict, List<GateCheck> checks, List<String> reasons) {
    /** Copies the lists. */
    public GateResult {
      checks = List.copyOf(checks);
      reasons = List.copyOf(reasons);
    }
  }

  /**
   * One threshold compared with the measured figure.
   *
   * @param name a stable identifier, e.g. {@code top1-drop}
   * @param description what is compared, in words
   * @param limit the threshold
   * @param actual the measured figure
   * @param unit the unit of both, e.g. {@code points}
   * @param passed whether the figure is within the threshold
   * @param message one line saying both numbers and the outcome
   */
  public record GateCheck(
      String name,
      String description,
      double limit,
      double actual,
      String unit,
      boolean passed,
      String message) {}

  /**
   * How one model was run.
   *
   * @param path the model file
   * @param runtime the runtime that ran it, e.g. {@code onnxruntime-1.29.0}
   * @param inputName the input fed with holdout samples
   * @param inputType the declared input type, e.g. {@code float[-1, 1, 28, 28]}
   * @param outputName the output compared
   * @param valuesPerSample the number of output values per sample (classes for a classifier)
   */
  public record ModelRun(
      String path,
      String runtime,
      String inputName,
      String inputType,
      String outputName,
      int valuesPerSample) {}

  /**
   * The holdout data.
   *
   * @param path the path given
   * @param description the data set's own description
   * @param samples the number of samples compared
   * @param preprocess the preprocessing spec applied
   * @param classNames the class names, or empty
   */
  public record Holdout(
      String path, String description, int samples, String preprocess, List<String> classNames) {
    /** Copies the list. */
    public Holdout {
      classNames = List.copyOf(classNames);
    }
  }

  /**
   * Accuracy of both models against the labels, and their agreement.
   *
   * @param samples samples compared
   * @param classes classes the models output
   * @param topK the k of the top-k figures: 5, or the class count when smaller
   * @param referenceCorrect reference top-1 hits
   * @param candidateCorrect candidate top-1 hits
   * @param referenceTopKCorrect reference top-k hits
   * @param candidateTopKCorrect candidate top-k hits
   * @param agreeing samples on which both predict the same class
   * @param referenceTop1 reference top-1 accuracy, percent
   * @param candidateTop1 candidate top-1 accuracy, percent
   * @param referenceTopK reference top-k accuracy, percent
   * @param candidateTopK candidate top-k accuracy, percent
   * @param top1DropPoints reference top-1 minus candidate top-1, percentage points
   * @param agreementPercent share of agreeing samples, percent
   * @param perClass accuracy per label present in the holdout, by label
   */
  public record Classification(
      int samples,
      int classes,
      int topK,
      int referenceCorrect,
      int candidateCorrect,
      int referenceTopKCorrect,
      int candidateTopKCorrect,
      int agreeing,
      double referenceTop1,
      double candidateTop1,
      double referenceTopK,
      double candidateTopK,
      double top1DropPoints,
      double agreementPercent,
      List<ClassAccuracy> perClass) {
    /** Copies the list. */
    public Classification {
      perClass = List.copyOf(perClass);
    }
  }

  /**
   * Top-1 accuracy of both models on the samples of one class.
   *
   * @param label the class index
   * @param name the class name, or the index as text
   * @param samples holdout samples with this label
   * @param referenceCorrect of those, classified correctly by the reference
   * @param candidateCorrect of those, classified correctly by the candidate
   * @param referenceTop1 reference accuracy on the class, percent
   * @param candidateTop1 candidate accuracy on the class, percent
   * @param dropPoints reference minus candidate, percentage points
   */
  public record ClassAccuracy(
      int label,
      String name,
      int samples,
      int referenceCorrect,
      int candidateCorrect,
      double referenceTop1,
      double candidateTop1,
      double dropPoints) {}

  /**
   * The candidate's outputs compared with the reference's, element by element over all samples.
   *
   * @param elements values compared
   * @param cosine cosine similarity of the two output vectors
   * @param sqnrDb signal-to-quantization-noise ratio, dB
   * @param maxAbsError the largest absolute difference
   * @param meanAbsError the mean absolute difference
   * @param tolerance the allowed largest absolute difference, or {@code null} when none was set
   * @param elementsOverTolerance values whose difference exceeds the tolerance (0 without one)
   */
  public record OutputComparison(
      long elements,
      double cosine,
      double sqnrDb,
      double maxAbsError,
      double meanAbsError,
      Double tolerance,
      long elementsOverTolerance) {}

  /**
   * The confidence (largest class probability) of both models over the holdout.
   *
   * @param source how probabilities were obtained: {@code softmax} of logits or {@code output}
   *     when the model already ends in a softmax
   * @param bins number of equal histogram bins over [0, 1]
   * @param reference the reference's distribution
   * @param candidate the candidate's distribution
   * @param meanShift candidate mean minus reference mean (a drop is the usual sign of domain shift
   *     or damage)
   */
  public record Confidence(
      String source,
      int bins,
      ConfidenceStats reference,
      ConfidenceStats candidate,
      double meanShift) {}

  /**
   * One model's confidence distribution.
   *
   * @param mean mean of the per-sample largest probability
   * @param meanWhenCorrect the mean over correctly classified samples (NaN-free: 0 when none)
   * @param meanWhenWrong the mean over misclassified samples (0 when none)
   * @param histogram sample counts per bin
   */
  public record ConfidenceStats(
      double mean, double meanWhenCorrect, double meanWhenWrong, List<Integer> histogram) {
    /** Copies the list. */
    public ConfidenceStats {
      histogram = List.copyOf(histogram);
    }
  }

  /**
   * Batch-1 latency of both models, measured the same way.
   *
   * @param runs timed runs per model
   * @param warmupRuns untimed runs before
   * @param threads intra-op threads
   * @param reference the reference's figures
   * @param candidate the candidate's figures
   * @param speedup reference p50 over candidate p50
   */
  public record Latency(
      int runs,
      int warmupRuns,
      int threads,
      LatencyStats reference,
      LatencyStats candidate,
      double speedup) {}

  /**
   * One model's latency distribution.
   *
   * @param runtime the runtime timed, with its optimization level
   * @param p50Ms median
   * @param p95Ms 95th percentile (nearest rank)
   * @param p99Ms 99th percentile (nearest rank)
   * @param meanMs mean
   * @param minMs fastest run
   * @param maxMs slowest run
   * @param throughputPerSecond samples per second at batch 1 (1000 / mean)
   * @param samplesMs every timed run, in order
   */
  public record LatencyStats(
      String runtime,
      double p50Ms,
      double p95Ms,
      double p99Ms,
      double meanMs,
      double minMs,
      double maxMs,
      double throughputPerSecond,
      List<Double> samplesMs) {
    /** Copies the list. */
    public LatencyStats {
      samplesMs = List.copyOf(samplesMs);
    }
  }

  /**
   * The candidate's sample pipeline, one sample at a time: reading and normalising the sample,
   * inference, then softmax and argmax. Each stage is its median over the samples timed.
   *
   * @param samples samples timed
   * @param preprocessMs median time to read and preprocess one sample
   * @param inferenceMs median inference time per sample
   * @param postprocessMs median time for softmax and argmax per sample
   * @param totalMs the sum of the three
   */
  public record PipelineBreakdown(
      int samples, double preprocessMs, double inferenceMs, double postprocessMs, double totalMs) {}

  /**
   * Where the report came from.
   *
   * @param tool the producer name
   * @param version the edgeopt version
   * @param createdAt when the validation ran (ISO-8601, UTC)
   * @param java the Java runtime
   * @param os the operating system and architecture
   * @param config the validation configuration, as given
   * @param referenceSha256 SHA-256 of the reference model file
   * @param candidateSha256 SHA-256 of the candidate model file
   * @param holdoutSha256 SHA-256 of the holdout folder tree, or of its data and label files
   * @param durationSeconds how long the validation took
   */
  public record Provenance(
      String tool,
      String version,
      String createdAt,
      String java,
      String os,
      Map<String, Object> config,
      String referenceSha256,
      String candidateSha256,
      String holdoutSha256,
      double durationSeconds) {}
}
