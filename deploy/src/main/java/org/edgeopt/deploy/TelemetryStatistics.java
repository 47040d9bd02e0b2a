package org.edgeopt.deploy;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.edgeopt.core.data.DataException;

/**
 * Everything {@link Monitor} keeps of a telemetry stream: a {@link WindowStats} per (window,
 * device), the uncertain-sample queue and the record counts. It grows with devices times windows,
 * never with records.
 *
 * <p>Statistics of parts of a stream {@link #merge merge} into exactly those of the whole, in any
 * order and grouping (every counter is an integer or an exact sum): this is what lets Spark fold
 * each partition on an executor and the driver merge the partitions, with the same report as one
 * machine. {@link TelemetryStatisticsCodec} carries them between machines.
 */
public final class TelemetryStatistics {
  private final int classes;
  private final long windowMs;
  private final String modelVersion;
  private final TreeMap<Long, TreeMap<String, WindowStats>> cells = new TreeMap<>();
  private final UncertainQueue uncertain;
  private long records;
  private long skipped;
  private long escalationLogged;
  private long escalated;

  /**
   * Creates empty statistics.
   *
   * @param classes the model's class count
   * @param windowMinutes the window length
   * @param modelVersion only records of this model version count, or {@code null} for all
   * @param uncertainTopK how many uncertain samples to keep
   */
  public TelemetryStatistics(
      int classes, long windowMinutes, String modelVersion, int uncertainTopK) {
    if (classes < 1 || windowMinutes < 1 || uncertainTopK < 0) {
      throw new IllegalArgumentException(
          "expected classes >= 1, window >= 1 minute and top-K >= 0, found "
              + classes
              + ", "
              + windowMinutes
              + ", "
              + uncertainTopK);
    }
    this.classes = classes;
    this.windowMs = windowMinutes * 60_000L;
    this.modelVersion = modelVersion;
    this.uncertain = new UncertainQueue(uncertainTopK);
  }

  /** Returns empty statistics for the run {@code config} describes, for a model of {@code classes} classes. */
  public static TelemetryStatistics of(MonitorConfig config, int classes) {
    return new TelemetryStatistics(
        classes, config.windowMinutes(), config.modelVersion(), config.uncertainTopK());
  }

  /**
   * Adds one record.
   *
   * @param source what the record came from, for the error message
   * @param index the record's 1-based position in its source, for the error message
   * @throws DataException when a predicted class or label is not one of the model's classes
   */
  public void add(TelemetryRecord r, String source, long index) {
    if (modelVersion != null && !modelVersion.equals(r.modelVersion())) {
      skipped++;
      return;
    }
    if (!r.failed() && (r.predicted() < 0 || r.predicted() >= classes || r.label() >= classes)) {
      throw new DataException(
          source
              + ": record "
              + index
              + " (device "
              + r.device()
              + "): class "
              + Math.max(r.predicted(), r.label())
              + ": expected 0.."
              + (classes - 1)
              + ", the bundle's model has "
              + classes
              + " classes");
    }
    records++;
    if (r.escalated() != null) {
      escalationLogged++;
      escalated += r.escalated() ? 1 : 0;
    }
    cells
        .computeIfAbsent(Math.floorDiv(r.timestampMs(), windowMs), w -> new TreeMap<>())
        .computeIfAbsent(r.device(), d -> new WindowStats(classes))
        .add(r);
    uncertain.offer(r);
  }

  /**
   * Adds everything {@code other} holds.
   *
   * @throws IllegalArgumentException when {@code other} was made for another model, window or version
   */
  public void merge(TelemetryStatistics other) {
    if (other.classes != classes
        || other.windowMs != windowMs
        || !java.util.Objects.equals(other.modelVersion, modelVersion)) {
      throw new IllegalArgumentException(
          "cannot merge telemetry statistics of "
              + other.classes
              + " classes, "
              + other.windowMs
              + " ms windows, version "
              + other.modelVersion
              + " into "
              + classes
              + ", "
              + windowMs
              + ", "
              + modelVersion);
    }
    other.cells.forEach(
        (w, devices) -> {
          TreeMap<String, WindowStats> mine = cells.computeIfAbsent(w, k -> new TreeMap<>());
          devices.forEach(
              (d, s) -> mine.computeIfAbsent(d, k -> new WindowStats(classes)).merge(s));
        });
    uncertain.merge(other.uncertain);
    records += other.records;
    skipped += other.skipped;
    escalationLogged += other.escalationLogged;
    escalated += other.escalated;
  }

  /** Returns the model's class count. */
  public int classes() {
    return classes;
  }

  /** Returns the window length in milliseconds. */
  public long windowMs() {
    return windowMs;
  }

  /** Returns the model version records must have, or {@code null}. */
  public String modelVersion() {
    return modelVersion;
  }

  /** Returns the statistics by window index (start over the window length), then by device (live, read-only). */
  public NavigableMap<Long, ? extends Map<String, WindowStats>> cells() {
    return Collections.unmodifiableNavigableMap(cells);
  }

  /** Returns the distinct devices seen. */
  public int devices() {
    TreeSet<String> all = new TreeSet<>();
    cells.values().forEach(m -> all.addAll(m.keySet()));
    return all.size();
  }

  /** Returns the uncertain-sample queue (live). */
  public UncertainQueue uncertain() {
    return uncertain;
  }

  /** Returns the records counted. */
  public long records() {
    return records;
  }

  /** Returns the records of another model version, left out. */
  public long skipped() {
    return skipped;
  }

  /** Returns the records that logged {@code escalated}. */
  public long escalationLogged() {
    return escalationLogged;
  }

  /** Returns those escalated. */
  public long escalated() {
    return escalated;
  }

  /** Sets the plain counters when decoding; package-private for {@link TelemetryStatisticsCodec}. */
  void counts(long records, long skipped, long escalationLogged, long escalated) {
    this.records = records;
    this.skipped = skipped;
    this.escalationLogged = escalationLogged;
    this.escalated = escalated;
  }

  /** Puts one decoded cell; package-private for {@link TelemetryStatisticsCodec}. */
  void put(long window, String device, WindowStats stats) {
    cells.computeIfAbsent(window, k -> new TreeMap<>()).put(device, stats);
  }
}
