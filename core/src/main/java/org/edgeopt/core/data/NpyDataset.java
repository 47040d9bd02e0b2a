package org.edgeopt.core.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.edgeopt.core.EdgeoptException;

/**
 * Samples in a NumPy {@code .npy} array {@code [N, ...]} (float32, float64 or uint8, C order),
 * with integer labels in a second {@code .npy} of shape {@code [N]}; memory-mapped, so only the
 * batch being converted is ever on the heap.
 */
public final class NpyDataset implements Dataset {
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
  private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  /** A parsed {@code .npy} header and its mapped data. */
  record Array(String descr, long[] shape, ByteBuffer data) {
    int elementSize() {
      return Integer.parseInt(descr.substring(2));
    }
  }

  private final Path file;
  private final Array x;
  private final int[] labels;
  private final Preprocessing pre;

  /** Opens the sample array and its label array. */
  public NpyDataset(Path samples, Path labelFile, Preprocessing pre) throws EdgeoptException {
    this.file = samples;
    this.pre = pre;
    this.x = read(samples);
    if (!Arrays.asList("<f4", "<f8", "|u1").contains(x.descr())) {
      throw EdgeoptException.invalid(
          samples + ": expected float32, float64 or uint8 data, found dtype " + x.descr());
    }
    if (x.shape().length < 2 || x.shape()[0] == 0) {
      throw EdgeoptException.invalid(
          samples
              + ": expected an array [N, ...] with N >= 1, found shape "
              + Arrays.toString(x.shape()));
    }
    pre.requireChannels(channels(), samples + " (shape " + Arrays.toString(x.shape()) + ")");
    if (labelFile == null || !Files.isRegularFile(labelFile)) {
      throw EdgeoptException.invalid(
          samples
              + ": labels missing: expected a labels .npy beside it"
              + (labelFile == null ? "" : " (" + labelFile + ")"));
    }
    Array l = read(labelFile);
    if (l.shape().length != 1 || l.shape()[0] != x.shape()[0]) {
      throw EdgeoptException.invalid(
          labelFile
              + ": expected labels of shape ["
              + x.shape()[0]
              + "], found "
              + Arrays.toString(l.shape()));
    }
    labels = new int[(int) l.shape()[0]];
    ByteBuffer b = l.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < labels.length; i++) {
      labels[i] =
          switch (l.descr()) {
            case "<i8" -> (int) b.getLong();
            case "<i4" -> b.getInt();
            case "|u1", "|i1" -> b.get() & 0xff;
            default ->
                throw EdgeoptException.invalid(
                    labelFile + ": expected integer labels, found dtype " + l.descr());
          };
    }
  }

  static Array read(Path p) throws EdgeoptException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(head, 0);
      head.flip();
      if (head.remaining() < 10
          || head.get(0) != (byte) 0x93
          || head.get(1) != 'N'
          || head.get(2) != 'U') {
        throw EdgeoptException.invalid(
            p + ": expected a NumPy .npy file (magic \\x93NUMPY), found something else");
      }
      int major = head.get(6);
      int headerLen;
      int offset;
      if (major == 1) {
        headerLen = head.getShort(8) & 0xffff;
        offset = 10;
      } else {
        ByteBuffer h4 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(h4, 8);
        headerLen = h4.getInt(0);
        offset = 12;
      }
      long available = ch.size() - offset;
      if (headerLen < 0 || headerLen > available) {
        throw EdgeoptException.invalid(
            p
                + ": the .npy header declares "
                + Integer.toUnsignedString(headerLen)
                + " bytes, but the file has "
                + Math.max(0, available)
                + " after the preamble");
      }
      ByteBuffer hb = ByteBuffer.allocate(headerLen);
      ch.read(hb, offset);
      String header = new String(hb.array(), 0, hb.position(), StandardCharsets.US_ASCII);
      Matcher d = DESCR.matcher(header);
      Matcher o = ORDER.matcher(header);
      Matcher s = SHAPE.matcher(header);
      if (!d.find() || !o.find() || !s.find()) {
        throw EdgeoptException.invalid(
            p
                + ": malformed .npy header (expected a Python dict with descr, fortran_order and shape), found \""
                + org.edgeopt.core.Excerpt.of(header.strip())
                + "\"");
      }
      if (o.group(1).equals("True")) {
        throw EdgeoptException.invalid(p + ": expected C-order data, found Fortran order");
      }
      long[] shape =
          Arrays.stream(s.group(1).split(","))
              .map(String::strip)
              .filter(t -> !t.isEmpty())
              .mapToLong(Long::parseLong)
              .toArray();
      long start = offset + headerLen;
      return new Array(
          d.group(1), shape, ch.map(FileChannel.MapMode.READ_ONLY, start, ch.size() - start));
    } catch (IOException e) {
      throw EdgeoptException.invalid(p + ": cannot read .npy: " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "NPY " + file + " " + Arrays.toString(x.shape());
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public long[] sampleShape() {
    return Arrays.copyOfRange(x.shape(), 1, x.shape().length);
  }

  /** Returns the channel count normalization uses: axis 1 for NCHW data, the last axis for NHWC, 1 below rank 3. */
  private int channels() {
    long[] ss = sampleShape();
    return ss.length >= 3 ? (int) (pre.channelsLast() ? ss[ss.length - 1] : ss[0]) : 1;
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) {
    long per = 1;
    for (long d : sampleShape()) {
      per *= d;
    }
    long perSample = per;
    int total = Math.min(size(), limit);
    int es = x.elementSize();
    long needed = total * perSample * es;
    if (x.data().capacity() < needed) {
      throw new DataException(
          file
              + ": truncated .npy: expected "
              + needed
              + " bytes of data, found "
              + x.data().capacity());
    }
    // Channel index for normalization: axis 1 for NCHW data ([N,C,...]), the last axis for NHWC.
    int channels = channels();
    long spatial = channels == 0 ? 1 : perSample / channels;
    return new BatchReader(batchSize, total, sampleShape()) {
      @Override
      protected void read(int first, int n, float[] features, int[] out) {
        ByteBuffer b = x.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position((int) (first * perSample * es));
        for (int i = 0; i < features.length; i++) {
          float v =
              switch (x.descr()) {
                case "<f4" -> b.getFloat();
                case "<f8" -> (float) b.getDouble();
                default -> b.get() & 0xff;
              };
          long within = i % perSample;
          int c =
              channels <= 1 ? 0 : (int) (pre.channelsLast() ? within % channels : within / spatial);
          features[i] = pre.normalize(v, c);
        }
        System.arraycopy(labels, first, out, 0, n);
      }
    };
  }
}
