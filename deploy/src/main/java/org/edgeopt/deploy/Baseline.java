package org.edgeopt.deploy;

import java.util.List;

/**
 * What the model did on the holdout, as reference distributions the field is compared with:
 * top-1 confidence and top-2 margin histograms ({@link ConfidenceBins}), the predicted-class mix,
 * per-class accuracy, and the latency percentiles measured on the validating host.
 *
 * @param source the model file and holdout it was measured on, in words
 * @param samples the number of holdout samples
 * @param classNames the class names by label (may be empty)
 * @param confidenceHistogram top-1 probability counts per {@link ConfidenceBins} bin
 * @param marginHistogram top-1 minus top-2 probability counts per bin
 * @param predictedClassCounts how often each class was predicted
 * @param meanConfidence the mean top-1 probability
 * @param confidenceStdDev its standard deviation
 * @param correct the number of correct top-1 predictions
 * @param perClass accuracy per true class
 * @param latency batch-1 latency on the validating host, or {@code null} when no validation report was given
 */
public record Baseline(
    String source,
    int samples,
    List<String> classNames,
    List<Long> confidenceHistogram,
    List<Long> marginHistogram,
    List<Long> predictedClassCounts,
    double meanConfidence,
    double confidenceStdDev,
    int correct,
    List<ClassAccuracy> perClass,
    Latency latency) {

  /** Copies the lists. */
  public Baseline {
    classNames = List.copyOf(classNames);
    confidenceHistogram = List.copyOf(confidenceHistogram);
    marginHistogram = List.copyOf(marginHistogram);
    predictedClassCounts = List.copyOf(predictedClassCounts);
    perClass = List.copyOf(perClass);
  }

  /** Returns the number of classes the model predicts. */
  public int classes() {
    return predictedClassCounts.size();
  }

  /** Returns the top-1 accuracy on the holdout. */
  public double accuracy() {
    return samples == 0 ? 0 : (double) correct / samples;
  }

  /** Returns the confidence histogram as an array. */
  public long[] confidenceCounts() {
    return confidenceHistogram.stream().mapToLong(Long::longValue).toArray();
  }

  /** Returns the predicted-class counts as an array. */
  public long[] classCounts() {
    return predictedClassCounts.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * The accuracy on one true class.
   *
   * @param label the class label
   * @param name its name, or the label as text
   * @param samples holdout samples of this class
   * @param correct of them predicted right
   */
  public record ClassAccuracy(int label, String name, int samples, int correct) {}

  /**
   * Latency percentiles at batch 1.
   *
   * @param source where they were measured
   * @param p50Ms the median
   * @param p95Ms the 95th percentile
   * @param p99Ms the 99th percentile
   */
  public record Latency(String source, double p50Ms, double p95Ms, double p99Ms) {}
}
