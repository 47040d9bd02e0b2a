package org.edgeopt.calibrate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes and reads {@link CalibrationStatistics} in a stable, versioned binary form, so that
 * statistics folded on one machine (a Spark executor) can be merged on another.
 *
 * <p><b>Format, version 1</b> (big-endian, {@link DataOutputStream}): the magic {@code "EOST"},
 * the version (int 1), the samples seen (long), the tensor count (int), then per tensor in graph
 * order: its name ({@code writeUTF}), a flag byte (1 when a histogram is kept), samples (long),
 * element count (long), minimum and maximum (float bits as int), the exponents of the negative and
 * the positive half (int each), and with a histogram the number of non-empty bins (int) followed by
 * each as its index (short) and count (long), in index order. Bins are stored at each half's own
 * exponent, exactly as held, so a decoded value equals the encoded one ({@link TensorStatistics#equals})
 * and merges to the same result. A reader refuses another magic or a version it does not know.
 */
public final class StatisticsCodec {
  /** The format version this class writes. */
  public static final int VERSION = 1;

  private static final int MAGIC = 0x454f5354; // "EOST"

  private StatisticsCodec() {}

  /** Returns the encoded statistics. */
  public static byte[] encode(CalibrationStatistics statistics) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeLong(statistics.samples());
      Map<String, TensorStatistics> tensors = statistics.tensors();
      out.writeInt(tensors.size());
      for (TensorStatistics t : tensors.values()) {
        out.writeUTF(t.name());
        long[] bins = t.rawBins();
        out.writeByte(bins == null ? 0 : 1);
        out.writeLong(t.samples());
        out.writeLong(t.count());
        out.writeInt(Float.floatToRawIntBits(t.min()));
        out.writeInt(Float.floatToRawIntBits(t.max()));
        out.writeInt(t.negativeExponent());
        out.writeInt(t.positiveExponent());
        if (bins != null) {
          int nonEmpty = 0;
          for (long c : bins) {
            nonEmpty += c != 0 ? 1 : 0;
          }
          out.writeInt(nonEmpty);
          for (int i = 0; i < bins.length; i++) {
            if (bins[i] != 0) {
              out.writeShort(i);
              out.writeLong(bins[i]);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return bytes.toByteArray();
  }

  /**
   * Returns the statistics encoded in {@code bytes}.
   *
   * @throws IllegalArgumentException when the bytes are not statistics of a known version, or are cut short
   */
  public static CalibrationStatistics decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IllegalArgumentException(
            "expected edgeopt statistics (magic EOST), found 0x" + Integer.toHexString(magic));
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(
            "expected statistics format version "
                + VERSION
                + ", found "
                + version
                + ": the driver and the executors run different edgeopt versions");
      }
      long samples = in.readLong();
      int n = in.readInt();
      Map<String, TensorStatistics> tensors = new LinkedHashMap<>();
      for (int k = 0; k < n; k++) {
        String name = in.readUTF();
        boolean histogram = in.readByte() == 1;
        long tensorSamples = in.readLong();
        long count = in.readLong();
        float min = Float.intBitsToFloat(in.readInt());
        float max = Float.intBitsToFloat(in.readInt());
        int negative = in.readInt();
        int positive = in.readInt();
        long[] bins = null;
        if (histogram) {
          bins = new long[TensorStatistics.BINS];
          int nonEmpty = in.readInt();
          for (int i = 0; i < nonEmpty; i++) {
            int index = in.readUnsignedShort();
            if (index >= bins.length) {
              throw new IllegalArgumentException(
                  "tensor '"
                      + name
                      + "': bin "
                      + index
                      + " is beyond the "
                      + bins.length
                      + " bins");
            }
            bins[index] = in.readLong();
          }
        }
        tensors.put(
            name,
            TensorStatistics.restore(
                name, tensorSamples, count, min, max, negative, positive, bins));
      }
      if (in.available() > 0) {
        throw new IllegalArgumentException(
            "expected the statistics to end after "
                + n
                + " tensors, found "
                + in.available()
                + " more bytes");
      }
      return new CalibrationStatistics(tensors, samples);
    } catch (java.io.EOFException e) {
      throw new IllegalArgumentException("statistics cut short: expected more bytes", e);
    } catch (IOException e) {
      throw new UncheckedIOException("reading from memory cannot fail", e);
    }
  }
}
