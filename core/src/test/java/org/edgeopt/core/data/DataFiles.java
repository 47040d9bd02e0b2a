package org.edgeopt.core.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writes small data files in the formats the readers take, for the reader tests. */
final class DataFiles {
  private DataFiles() {}

  /** Writes IDX images {@code [n, rows, cols]} of unsigned bytes, gzip-compressed when the name ends in .gz. */
  static void idxImages(Path file, int rows, int cols, byte[] pixels) throws IOException {
    int n = pixels.length / (rows * cols);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(bytes);
    d.writeInt(0x00000803);
    d.writeInt(n);
    d.writeInt(rows);
    d.writeInt(cols);
    d.write(pixels);
    write(file, bytes.toByteArray());
  }

  /** Writes IDX labels, gzip-compressed when the name ends in .gz. */
  static void idxLabels(Path file, byte[] labels) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(bytes);
    d.writeInt(0x00000801);
    d.writeInt(labels.length);
    d.write(labels);
    write(file, bytes.toByteArray());
  }

  private static void write(Path file, byte[] content) throws IOException {
    if (file.getFileName().toString().endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
        out.write(content);
      }
    } else {
      Files.write(file, content);
    }
  }

  /** Writes a NumPy v1.0 {@code .npy} file of raw little-endian data. */
  static void npy(Path file, String descr, long[] shape, byte[] raw, boolean fortranOrder)
      throws IOException {
    String dims =
        String.join(", ", Arrays.stream(shape).mapToObj(Long::toString).toList())
            + (shape.length == 1 ? "," : "");
    StringBuilder header =
        new StringBuilder(
            "{'descr': '"
                + descr
                + "', 'fortran_order': "
                + (fortranOrder ? "True" : "False")
                + ", 'shape': ("
                + dims
                + "), }");
    while ((10 + header.length() + 1) % 64 != 0) {
      header.append(' ');
    }
    header.append('\n');
    byte[] h = header.toString().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(10 + h.length + raw.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93)
        .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
        .put((byte) 1)
        .put((byte) 0)
        .putShort((short) h.length);
    b.put(h).put(raw);
    Files.write(file, b.array());
  }

  /** Returns float32 values as little-endian bytes. */
  static byte[] float32(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  /** Returns int64 values as little-endian bytes. */
  static byte[] int64(long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    return b.array();
  }

  /** Writes a PNG of one colour, {@code width x height}. */
  static void png(Path file, int width, int height, int rgb) throws IOException {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(img, "png", file.toFile());
  }

  /** Writes an 8-bit grayscale PNG of one level, {@code width x height}. */
  static void grayPng(Path file, int width, int height, int level) throws IOException {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.getRaster().setSample(x, y, 0, level);
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(img, "png", file.toFile());
  }
}
