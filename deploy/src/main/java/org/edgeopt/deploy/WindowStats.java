package org.edgeopt.deploy;

/**
 * The statistics of one device (or the fleet) in one time window, in fixed-size counters:
 * memory does not grow with the number of records.
 */
public final class WindowStats {
  private final long[] confidence = new long[ConfidenceBins.COUNT];
  private final long[] classes;
  private final LatencyHistogram latency = new LatencyHistogram();
  private long records;
  private long predictions;
  private long failures;
  private long fallbacks;
  private double confidenceSum;
  private double confidenceSquares;
  private long labelled;
  private long correct;

  /** Creates empty statistics for a model with {@code classCount} classes. */
  public WindowStats(int classCount) {
    classes = new long[classCount];
  }

  /** Adds one record; its class must be below the class count (checked by the caller). */
  public void add(TelemetryRecord r) {
    records++;
    if (r.fallback()) {
      fallbacks++;
    }
    if (!Double.isNaN(r.latencyMs())) {
      latency.add(r.latencyMs());
    }
    if (r.failed()) {
      failures++;
      return;
    }
    predictions++;
    confidence[ConfidenceBins.of(r.confidence())]++;
    classes[r.predicted()]++;
    confidenceSum += r.confidence();
    confidenceSquares += r.confidence() * r.confidence();
    if (r.label() >= 0) {
      labelled++;
      if (r.label() == r.predicted()) {
        correct++;
      }
    }
  }

  /** Adds everything {@code other} counted. */
  public void merge(WindowStats other) {
    for (int i = 0; i < confidence.length; i++) {
      confidence[i] += other.confidence[i];
    }
    for (int i = 0; i < classes.length; i++) {
      classes[i] += other.classes[i];
    }
    latency.merge(other.latency);
    records += other.records;
    predictions += other.predictions;
    failures += other.failures;
    fallbacks += other.fallbacks;
    confidenceSum += other.confidenceSum;
    confidenceSquares += other.confidenceSquares;
    labelled += other.labelled;
    correct += other.correct;
  }

  /** Returns all records, failed ones included. */
  public long records() {
    return records;
  }

  /** Returns the records with a prediction. */
  public long predictions() {
    return predictions;
  }

  /** Returns the failed inferences. */
  public long failures() {
    return failures;
  }

  /** Returns the inferences that fell back. */
  public long fallbacks() {
    return fallbacks;
  }

  /** Returns a copy of the confidence histogram. */
  public long[] confidenceHistogram() {
    return confidence.clone();
  }

  /** Returns a copy of the predicted-class counts. */
  public long[] classCounts() {
    return classes.clone();
  }

  /** Returns the latency histogram (live, not a copy). */
  public LatencyHistogram latency() {
    return latency;
  }

  /** Returns the mean top-1 confidence, NaN without predictions. */
  public double meanConfidence() {
    return predictions == 0 ? Double.NaN : confidenceSum / predictions;
  }

  /** Returns the variance of the top-1 confidence. */
  public double confidenceVariance() {
    if (predictions == 0) {
      return Double.NaN;
    }
    double m = meanConfidence();
    return Math.max(0, confidenceSquares / predictions - m * m);
  }

  /** Returns the predictions that carried a label. */
  public long labelled() {
    return labelled;
  }

  /** Returns the labelled predictions that were right. */
  public long correct() {
    return correct;
  }
}
