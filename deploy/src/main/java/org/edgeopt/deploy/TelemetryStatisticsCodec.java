package org.edgeopt.deploy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Writes and reads {@link TelemetryStatistics} in a stable, versioned binary form, so that the
 * statistics a Spark executor folds over its partition of the telemetry can be merged on the driver.
 *
 * <p><b>Format, version 1</b> (big-endian, {@link DataOutputStream}): the magic {@code "EOTS"}, the
 * version (int 1), the class count (int), the window length in ms (long), a flag byte and the model
 * version ({@code writeUTF}) when one is set; records, skipped, escalation-logged and escalated
 * (long each); the uncertain queue: capacity and entry count (int each), then per entry, most
 * uncertain first, the sample id and device ({@code writeUTF}), time (long), class (int),
 * confidence and uncertainty (double each); the cell count (int), then per cell in (window,
 * device) order: the window index (long), the device ({@code writeUTF}) and its {@link
 * WindowStats}: class count (int), the {@value ConfidenceBins#COUNT} confidence bins and the class
 * counts (long each), the latency histogram's non-empty bins (short count, then index as short and
 * count as long), records, predictions, failures, fallbacks (long each), the confidence sum and sum
 * of squares (two longs each, high word first, in units of 2<sup>-52</sup>), labelled and correct
 * (long each). A reader refuses another magic, a version it does not know, and trailing bytes.
 */
public final class TelemetryStatisticsCodec {
  /** The format version this class writes. */
  public static final int VERSION = 1;

  private static final int MAGIC = 0x454f5453; // "EOTS"

  private TelemetryStatisticsCodec() {}

  /** Returns the encoded statistics. */
  public static byte[] encode(TelemetryStatistics s) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(s.classes());
      out.writeLong(s.windowMs());
      out.writeBoolean(s.modelVersion() != null);
      if (s.modelVersion() != null) {
        out.writeUTF(s.modelVersion());
      }
      out.writeLong(s.records());
      out.writeLong(s.skipped());
      out.writeLong(s.escalationLogged());
      out.writeLong(s.escalated());
      s.uncertain().write(out);
      out.writeInt(s.cells().values().stream().mapToInt(Map::size).sum());
      for (var w : s.cells().entrySet()) {
        for (var d : w.getValue().entrySet()) {
          out.writeLong(w.getKey());
          out.writeUTF(d.getKey());
          d.getValue().write(out);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Returns the statistics {@code bytes} encode.
   *
   * @throws IllegalArgumentException when the bytes are not version-1 telemetry statistics
   */
  public static TelemetryStatistics decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int magic = in.readInt();
      int version = in.readInt();
      if (magic != MAGIC || version != VERSION) {
        throw new IllegalArgumentException(
            String.format(
                "not edgeopt telemetry statistics version %d: found magic %08x, version %d",
                VERSION, magic, version));
      }
      int classes = in.readInt();
      long windowMs = in.readLong();
      String modelVersion = in.readBoolean() ? in.readUTF() : null;
      long records = in.readLong();
      long skipped = in.readLong();
      long logged = in.readLong();
      long escalated = in.readLong();
      UncertainQueue queue = UncertainQueue.read(in);
      TelemetryStatistics s =
          new TelemetryStatistics(classes, windowMs / 60_000L, modelVersion, queue.capacity());
      s.counts(records, skipped, logged, escalated);
      s.uncertain().merge(queue);
      int cellCount = in.readInt();
      for (int i = 0; i < cellCount; i++) {
        long window = in.readLong();
        String device = in.readUTF();
        s.put(window, device, WindowStats.read(in));
      }
      if (in.read() != -1) {
        throw new IllegalArgumentException(
            "telemetry statistics: bytes left over after the last cell");
      }
      return s;
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated telemetry statistics: " + e.getMessage(), e);
    }
  }
}
