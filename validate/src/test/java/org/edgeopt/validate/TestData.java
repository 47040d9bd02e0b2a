package org.edgeopt.validate;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;

/** Small data sets and models written by tests: IDX image files, CSV tables, one-node classifiers. */
final class TestData {
  private TestData() {}

  /** Writes gzip IDX image and label files into {@code dir}; returns {@code dir}. */
  static Path writeIdx(Path dir, byte[][] images, int rows, int cols, int[] labels)
      throws IOException {
    Files.createDirectories(dir);
    try (DataOutputStream out = new DataOutputStream(gz(dir.resolve("images-idx3-ubyte.gz")))) {
      out.writeInt(0x00000803);
      out.writeInt(images.length);
      out.writeInt(rows);
      out.writeInt(cols);
      for (byte[] img : images) {
        out.write(img);
      }
    }
    try (DataOutputStream out = new DataOutputStream(gz(dir.resolve("labels-idx1-ubyte.gz")))) {
      out.writeInt(0x00000801);
      out.writeInt(labels.length);
      for (int l : labels) {
        out.writeByte(l);
      }
    }
    return dir;
  }

  /** Writes {@code n} seeded random images of {@code rows x cols} with labels below {@code classes}. */
  static Path randomIdx(Path dir, int n, int rows, int cols, int classes, long seed)
      throws IOException {
    Random r = new Random(seed);
    byte[][] images = new byte[n][rows * cols];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      r.nextBytes(images[i]);
      labels[i] = r.nextInt(classes);
    }
    return writeIdx(dir, images, rows, cols, labels);
  }

  private static OutputStream gz(Path p) throws IOException {
    return new GZIPOutputStream(Files.newOutputStream(p));
  }

  /** Writes a CSV file with a header {@code f0,...,label} and one row per sample. */
  static Path writeCsv(Path file, float[][] features, int[] labels) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < features[0].length; j++) {
      sb.append('f').append(j).append(',');
    }
    sb.append("label\n");
    for (int i = 0; i < features.length; i++) {
      for (float v : features[i]) {
        sb.append(v).append(',');
      }
      sb.append(labels[i]).append('\n');
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, sb.toString());
    return file;
  }

  /** A model whose logits are its input: {@code Identity} on {@code [N, classes]}. */
  static Graph identity(int classes) {
    GraphBuilder b = new GraphBuilder("identity", 13);
    b.addInput(new Value("x", rows(classes)));
    b.add("Identity", "copy", List.of("x"), List.of("logits"));
    b.addOutput(new Value("logits", rows(classes)));
    return b.build();
  }

  /** A model whose logits are its input plus a constant row {@code bias}. */
  static Graph shifted(float[] bias) {
    GraphBuilder b = new GraphBuilder("shifted", 13);
    b.addInput(new Value("x", rows(bias.length)));
    b.addInitializer(Tensor.ofFloats("bias", new long[] {bias.length}, bias));
    b.add("Add", "shift", List.of("x", "bias"), List.of("logits"));
    b.addOutput(new Value("logits", rows(bias.length)));
    return b.build();
  }

  private static TensorType rows(int classes) {
    return new TensorType(
        DataType.FLOAT,
        new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(classes, null))));
  }
}
