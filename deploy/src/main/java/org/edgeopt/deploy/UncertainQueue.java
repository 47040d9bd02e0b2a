package org.edgeopt.deploy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The {@code k} most uncertain samples seen so far, for labelling (an active-learning queue): a
 * bounded min-heap, so memory stays at {@code k} entries however many records pass.
 *
 * <p>Uncertainty is one minus the top-2 margin where the device logged scores, else one minus
 * the top-1 confidence; ties go to the smaller sample id, so the queue is the same on every run.
 */
public final class UncertainQueue {
  /**
   * One queued sample.
   *
   * @param sampleId the id the device logged
   * @param device the device
   * @param timestampMs when it ran
   * @param predicted the predicted class
   * @param confidence the top-1 probability
   * @param uncertainty the ranking score, higher is more uncertain
   */
  public record Entry(
      String sampleId,
      String device,
      long timestampMs,
      int predicted,
      double confidence,
      double uncertainty) {}

  private static final Comparator<Entry> LEAST_UNCERTAIN_FIRST =
      Comparator.comparingDouble(Entry::uncertainty)
          .thenComparing(Entry::sampleId, Comparator.reverseOrder());
  private final int capacity;
  private final PriorityQueue<Entry> heap;

  /** Creates a queue keeping the {@code capacity} most uncertain samples. */
  public UncertainQueue(int capacity) {
    this.capacity = capacity;
    this.heap = new PriorityQueue<>(Math.max(1, capacity + 1), LEAST_UNCERTAIN_FIRST);
  }

  /** Offers a record; records without a sample id or a prediction are not queued. */
  public void offer(TelemetryRecord r) {
    if (capacity == 0 || r.sampleId() == null || r.failed()) {
      return;
    }
    double u = 1 - (Double.isNaN(r.margin()) ? r.confidence() : r.margin());
    if (heap.size() == capacity) {
      Entry least = heap.peek();
      if (u < least.uncertainty()
          || (u == least.uncertainty() && r.sampleId().compareTo(least.sampleId()) >= 0)) {
        return;
      }
    }
    heap.add(
        new Entry(r.sampleId(), r.device(), r.timestampMs(), r.predicted(), r.confidence(), u));
    if (heap.size() > capacity) {
      heap.poll();
    }
  }

  /** Returns the queued samples, most uncertain first. */
  public List<Entry> ranked() {
    List<Entry> out = new ArrayList<>(heap);
    out.sort(LEAST_UNCERTAIN_FIRST.reversed());
    return out;
  }
}
