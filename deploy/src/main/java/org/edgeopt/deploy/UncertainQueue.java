package org.edgeopt.deploy;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The {@code k} most uncertain samples seen so far, for labelling (an active-learning queue): a
 * bounded min-heap, so memory stays at {@code k} entries however many records pass.
 *
 * <p>Uncertainty is one minus the top-2 margin where the device logged scores, else one minus
 * the top-1 confidence; ties go to the smaller sample id (then device, time, class, confidence),
 * so the queue holds the same entries whatever order the records come in: queues filled from
 * parts of a stream and {@link #merge merged} equal one queue filled from the whole.
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
          .thenComparing(Entry::sampleId, Comparator.reverseOrder())
          .thenComparing(Entry::device, Comparator.reverseOrder())
          .thenComparing(Entry::timestampMs, Comparator.reverseOrder())
          .thenComparing(Entry::predicted, Comparator.reverseOrder())
          .thenComparing(Entry::confidence, Comparator.reverseOrder());
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
    offer(new Entry(r.sampleId(), r.device(), r.timestampMs(), r.predicted(), r.confidence(), u));
  }

  /** Adds every entry {@code other} holds (its capacity must not exceed this one's). */
  public void merge(UncertainQueue other) {
    other.heap.forEach(this::offer);
  }

  private void offer(Entry e) {
    if (capacity == 0) {
      return;
    }
    if (heap.size() == capacity && LEAST_UNCERTAIN_FIRST.compare(e, heap.peek()) <= 0) {
      return;
    }
    heap.add(e);
    if (heap.size() > capacity) {
      heap.poll();
    }
  }

  /** Returns how many samples the queue keeps. */
  int capacity() {
    return capacity;
  }

  /** Returns the queued samples, most uncertain first. */
  public List<Entry> ranked() {
    List<Entry> out = new ArrayList<>(heap);
    out.sort(LEAST_UNCERTAIN_FIRST.reversed());
    return out;
  }

  /** Writes the capacity and the entries for {@link TelemetryStatisticsCodec}. */
  void write(DataOutput out) throws IOException {
    out.writeInt(capacity);
    out.writeInt(heap.size());
    for (Entry e : ranked()) {
      out.writeUTF(e.sampleId());
      out.writeUTF(e.device());
      out.writeLong(e.timestampMs());
      out.writeInt(e.predicted());
      out.writeDouble(e.confidence());
      out.writeDouble(e.uncertainty());
    }
  }

  /** Reads what {@link #write} wrote. */
  static UncertainQueue read(DataInput in) throws IOException {
    UncertainQueue q = new UncertainQueue(in.readInt());
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      q.offer(
          new Entry(
              in.readUTF(),
              in.readUTF(),
              in.readLong(),
              in.readInt(),
              in.readDouble(),
              in.readDouble()));
    }
    return q;
  }
}
