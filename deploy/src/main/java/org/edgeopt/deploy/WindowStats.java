package org.edgeopt.deploy;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The statistics of one device (or the fleet) in one time window, in fixed-size counters:
 * memory does not grow with the number of records.
 *
 * <p>Every field is an integer count or an exact {@link UnitIntervalSum}, so {@link #merge} is
 * associative and commutative to the bit: statistics folded per Spark partition and merged in any
 * order equal those of one pass over the same records.
 */
public final class WindowStats {
  private final long[] confidence = new long[ConfidenceBins.COUNT];
  private final long[] classes;
  private final LatencyHistogram latency = new LatencyHistogram();
  private long records;
  private long predictions;
  private long failures;
  private long fallbacks;
  private UnitIntervalSum confidenceSum = new UnitIntervalSum();
  private UnitIntervalSum confidenceSquares = new UnitIntervalSum();
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
    confidenceSum.add(r.confidence());
    confidenceSquares.add(r.confidence() * r.confidence());
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
    confidenceSum.merge(other.confidenceSum);
    confidenceSquares.merge(other.confidenceSquares);
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
    return predictions == 0 ? Double.NaN : confidenceSum.value() / predictions;
  }

  /** Returns the variance of the top-1 confidence. */
  public double confidenceVariance() {
    if (predictions == 0) {
      return Double.NaN;
    }
    double m = meanConfidence();
    return Math.max(0, confidenceSquares.value() / predictions - m * m);
  }

  /** Returns the predictions that carried a label. */
  public long labelled() {
    return labelled;
  }

  /** Returns the labelled predictions that were right. */
  public long correct() {
    return correct;
  }

  /** Writes the statistics for {@link TelemetryStatisticsCodec}. */
  void write(DataOutput out) throws IOException {
    out.writeInt(classes.length);
    for (long c : confidence) {
      out.writeLong(c);
    }
    for (long c : classes) {
      out.writeLong(c);
    }
    latency.write(out);
    out.writeLong(records);
    out.writeLong(predictions);
    out.writeLong(failures);
    out.writeLong(fallbacks);
    confidenceSum.write(out);
    confidenceSquares.write(out);
    out.writeLong(labelled);
    out.writeLong(correct);
  }

  /** Reads what {@link #write} wrote. */
  static WindowStats read(DataInput in) throws IOException {
    WindowStats s = new WindowStats(in.readInt());
    for (int i = 0; i < s.confidence.length; i++) {
      s.confidence[i] = in.readLong();
    }
    for (int i = 0; i < s.classes.length; i++) {
      s.classes[i] = in.readLong();
    }
    s.latency.readInto(in);
    s.records = in.readLong();
    s.predictions = in.readLong();
    s.failures = in.readLong();
    s.fallbacks = in.readLong();
    s.confidenceSum = UnitIntervalSum.read(in);
    s.confidenceSquares = UnitIntervalSum.read(in);
    s.labelled = in.readLong();
    s.correct = in.readLong();
    return s;
  }
}
