package org.edgeopt.validate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes and reads a {@link DriftAccumulator} in a stable, versioned binary form, so that the drift
 * figures folded on one machine (a Spark executor) can be merged on another.
 *
 * <p><b>Format, version 1</b> (big-endian, {@link DataOutputStream}): the magic {@code "EODA"}, the
 * version (int 1); the settings: classification (boolean), the holdout as named in errors
 * ({@code writeUTF}), the class-name count (int) and names, a flag and the output tolerance
 * (double); the state: output values per sample (int, -1 before the first batch), samples (int),
 * a flag and where the candidate first gave a non-finite output, the non-finite value count (long);
 * the output comparison: its tolerance (double bits, NaN for none), the exact sums of r², c², r·c,
 * (r-c)² and |r-c| (each as {@code ExactSum}: a flag byte for NaN/+inf/-inf, the index of the
 * lowest non-zero 32-bit limb and the limb count as unsigned bytes, then the limbs as longs, carries
 * propagated), the largest |r-c| (double bits), the value count and the count over tolerance
 * (longs); the top-1 and top-k hits of both models and the agreements (ints); per class its
 * samples and both models' hits (ints); then per model (reference, candidate) its confidences: how
 * rows are read (byte 0 logits, 1 probabilities, 2 undecided), the exact sums of all, correct and
 * wrong confidences with the correct and wrong counts between them, and the 20 histogram bins
 * (ints). A reader refuses another magic, a version it does not know, and a cut-short buffer.
 */
public final class DriftCodec {
  /** The format version this class writes. */
  public static final int VERSION = 1;

  private static final int MAGIC = 0x454f4441; // "EODA"

  private DriftCodec() {}

  /** Returns the encoded accumulator. */
  public static byte[] encode(DriftAccumulator drift) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeBoolean(drift.isClassification());
      out.writeUTF(drift.holdoutWhere());
      out.writeInt(drift.classNames().size());
      for (String n : drift.classNames()) {
        out.writeUTF(n);
      }
      out.writeBoolean(drift.tolerance() != null);
      out.writeDouble(drift.tolerance() == null ? 0 : drift.tolerance());
      drift.writeState(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * Returns the accumulator {@link #encode} wrote.
   *
   * @throws IllegalArgumentException when the bytes are not drift figures of this version, or are cut short
   */
  public static DriftAccumulator decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IllegalArgumentException(
            String.format(
                "not encoded drift figures: magic 0x%08x, expected 0x%08x", magic, MAGIC));
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(
            "encoded drift figures of format version " + version + ": expected " + VERSION);
      }
      boolean classification = in.readBoolean();
      String where = in.readUTF();
      int names = in.readInt();
      if (names < 0 || names > bytes.length) {
        throw new IllegalArgumentException(
            "encoded drift figures name " + names + " classes: expected 0.." + bytes.length);
      }
      List<String> classNames = new ArrayList<>();
      for (int i = 0; i < names; i++) {
        classNames.add(in.readUTF());
      }
      boolean hasTolerance = in.readBoolean();
      double tolerance = in.readDouble();
      DriftAccumulator d =
          new DriftAccumulator(classification, classNames, hasTolerance ? tolerance : null, where);
      d.readState(in);
      if (in.available() > 0) {
        throw new IllegalArgumentException(
            "encoded drift figures have " + in.available() + " bytes past their end");
      }
      return d;
    } catch (EOFException e) {
      throw new IllegalArgumentException(
          "encoded drift figures are cut short (" + bytes.length + " bytes)", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("encoded drift figures do not read: " + e.getMessage(), e);
    }
  }
}
