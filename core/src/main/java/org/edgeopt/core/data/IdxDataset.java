package org.edgeopt.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.zip.GZIPInputStream;
import org.edgeopt.core.EdgeoptException;

/**
 * Images and labels in IDX format (the MNIST files), gzip-compressed or not, read one batch at
 * a time. Pixels are unsigned bytes 0..255; each sample becomes {@code [1, H, W]} (or
 * {@code [H, W, 1]} channels-last) after preprocessing.
 */
public final class IdxDataset implements Dataset {
  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  private final Path images;
  private final int[] labels;
  private final Preprocessing pre;
  private final int count;
  private final int rows;
  private final int cols;

  /** Opens an IDX image file and its label file, checking headers and counts. */
  public IdxDataset(Path images, Path labelFile, Preprocessing pre) throws EdgeoptException {
    this.images = images;
    this.pre = pre;
    pre.requireChannels(1, images + " (IDX images, grayscale)");
    try (DataInputStream in = open(images)) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw EdgeoptException.invalid(
            images
                + ": expected an IDX image file (magic 0x00000803), found 0x"
                + Integer.toHexString(magic));
      }
      count = in.readInt();
      rows = in.readInt();
      cols = in.readInt();
    } catch (IOException e) {
      throw EdgeoptException.invalid(images + ": cannot read IDX header: " + e.getMessage(), e);
    }
    if (labelFile == null || !Files.isRegularFile(labelFile)) {
      throw EdgeoptException.invalid(
          images
              + ": labels missing: expected an IDX label file beside it"
              + (labelFile == null ? "" : " (" + labelFile + ")"));
    }
    try (DataInputStream in = open(labelFile)) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw EdgeoptException.invalid(
            labelFile
                + ": expected an IDX label file (magic 0x00000801), found 0x"
                + Integer.toHexString(magic));
      }
      int n = in.readInt();
      if (n != count) {
        throw EdgeoptException.invalid(
            labelFile + ": expected " + count + " labels to match " + images + ", found " + n);
      }
      labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = in.readUnsignedByte();
      }
    } catch (EOFException e) {
      throw EdgeoptException.invalid(labelFile + ": truncated IDX label file", e);
    } catch (IOException e) {
      throw EdgeoptException.invalid(labelFile + ": cannot read labels: " + e.getMessage(), e);
    }
    if (count == 0) {
      throw EdgeoptException.invalid(images + ": expected at least one image, found none");
    }
  }

  static DataInputStream open(Path p) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
    if (p.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new DataInputStream(in);
  }

  @Override
  public String describe() {
    return "IDX " + images + " (" + count + " images " + rows + "x" + cols + ")";
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public long[] sampleShape() {
    return pre.channelsLast() ? new long[] {rows, cols, 1} : new long[] {1, rows, cols};
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) throws EdgeoptException {
    DataInputStream in;
    try {
      in = open(images);
      in.skipNBytes(16);
    } catch (IOException e) {
      throw EdgeoptException.invalid(images + ": cannot read: " + e.getMessage(), e);
    }
    return new BatchReader(batchSize, Math.min(count, limit), sampleShape()) {
      @Override
      protected void read(int first, int n, float[] features, int[] out) {
        byte[] raw = new byte[features.length];
        try {
          in.readFully(raw);
        } catch (IOException e) {
          throw new DataException(
              images
                  + ": truncated IDX file: expected "
                  + count
                  + " images, stream ended near image "
                  + first,
              e);
        }
        for (int i = 0; i < raw.length; i++) {
          features[i] = pre.normalize(raw[i] & 0xff, 0);
        }
        System.arraycopy(labels, first, out, 0, n);
      }

      @Override
      protected void close() {
        try {
          in.close();
        } catch (IOException ignored) {
          // nothing left to read; a failed close loses nothing
        }
      }
    };
  }
}
