package org.edgeopt.spark;

import java.awt.image.BufferedImage;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;

/**
 * Turns one row (the sample in column 0, the label in column 1 when there is one) into a
 * preprocessed sample, with the same preprocessing code as the single-machine data sets.
 */
sealed interface RowDecoder extends Serializable {

  /**
   * Writes the preprocessed sample into {@code out} at {@code offset} and returns its label (-1
   * when the source has none).
   */
  int decode(Row row, float[] out, int offset);

  /** Returns the label in column 1, or -1 when there is no label column. */
  static int label(Row row, String where) {
    if (row.size() < 2) {
      return -1;
    }
    Object v = row.get(1);
    if (!(v instanceof Number n) || n.intValue() < 0) {
      throw new DataException(where + ": expected a non-negative integer label, found " + v);
    }
    return n.intValue();
  }

  /**
   * A tensor column: an array of numbers, or raw little-endian float32 bytes, holding one sample
   * of the model's input shape before normalization; {@code scale}, {@code mean} and {@code std}
   * apply per channel (resize and crop do not: there is no image).
   */
  record Tensor(String spec, long[] sampleShape, String where) implements RowDecoder {
    private static final long serialVersionUID = 1L;

    public Tensor {
      sampleShape = sampleShape.clone();
    }

    /** Checks that the spec has no geometry, which a tensor cannot take. */
    static Tensor of(Preprocessing pre, long[] sampleShape, String where) throws EdgeoptException {
      if (pre.resize() > 0 || pre.crop() > 0) {
        throw EdgeoptException.invalid(
            where
                + ": a tensor column cannot be resized or cropped: expected a preprocessing"
                + " spec with scale, mean and std only, found '"
                + pre.toSpec()
                + "'");
      }
      if (Arrays.stream(sampleShape).anyMatch(d -> d < 1)) {
        throw EdgeoptException.invalid(
            where
                + ": a tensor column needs a model whose input shape is fixed but for the"
                + " batch, found "
                + Arrays.toString(sampleShape));
      }
      return new Tensor(pre.toSpec(), sampleShape, where);
    }

    @Override
    public int decode(Row row, float[] out, int offset) {
      Preprocessing pre = Parsed.of(spec);
      int n = (int) Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
      Object v = row.get(0);
      float[] raw = new float[n];
      int found;
      if (v instanceof byte[] bytes) {
        found = bytes.length / Float.BYTES;
        if (bytes.length == n * Float.BYTES) {
          ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(raw);
        }
      } else if (v instanceof scala.collection.Seq<?> seq) {
        List<?> list = scala.jdk.javaapi.CollectionConverters.asJava(seq);
        found = list.size();
        for (int i = 0; i < Math.min(n, found); i++) {
          raw[i] = ((Number) list.get(i)).floatValue();
        }
      } else if (v instanceof List<?> list) {
        found = list.size();
        for (int i = 0; i < Math.min(n, found); i++) {
          raw[i] = ((Number) list.get(i)).floatValue();
        }
      } else {
        throw new DataException(
            where
                + ": expected an array of numbers or float32 bytes in the tensor column, found "
                + (v == null ? "null" : v.getClass().getSimpleName()));
      }
      if (found != n) {
        throw new DataException(
            where
                + ": expected "
                + n
                + " values "
                + Arrays.toString(sampleShape)
                + " per sample in the tensor column, found "
                + found);
      }
      boolean last = pre.channelsLast();
      int channels = (int) (last ? sampleShape[sampleShape.length - 1] : sampleShape[0]);
      int plane = n / channels;
      for (int i = 0; i < n; i++) {
        int c = last ? i % channels : i / plane;
        out[offset + i] = pre.normalize(raw[i], c);
      }
      return label(row, where);
    }
  }

  /**
   * An encoded image (PNG or JPEG bytes): decoded, resized, cropped and normalized as an image
   * folder's files are ({@link Images}).
   */
  record Image(String spec, long[] sampleShape, String where) implements RowDecoder {
    private static final long serialVersionUID = 1L;

    public Image {
      sampleShape = sampleShape.clone();
    }

    @Override
    public int decode(Row row, float[] out, int offset) {
      Object v = row.get(0);
      if (!(v instanceof byte[] bytes)) {
        throw new DataException(
            where
                + ": expected image bytes (PNG or JPEG) in the data column, found "
                + (v == null ? "null" : v.getClass().getSimpleName()));
      }
      String name = row.size() > 2 ? String.valueOf(row.get(2)) : where;
      BufferedImage decoded = Images.decode(bytes, name);
      Preprocessing pre = Images.forImage(decoded, Parsed.of(spec));
      BufferedImage img = Images.geometry(decoded, pre);
      int n = (int) Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
      int ch = Images.channels(pre);
      if ((long) img.getWidth() * img.getHeight() * ch != n) {
        throw new DataException(
            name
                + ": expected an image of "
                + Arrays.toString(sampleShape)
                + " after preprocessing (the model input), found "
                + img.getWidth()
                + "x"
                + img.getHeight()
                + "x"
                + ch
                + "; add resize=/crop= to the preprocessing");
      }
      Images.toFloats(img, pre, out, offset);
      return label(row, name);
    }
  }

  /** Parsed specs, one per executor JVM (a spec string parses to the same value everywhere). */
  final class Parsed {
    private static final Map<String, Preprocessing> CACHE =
        new java.util.concurrent.ConcurrentHashMap<>();

    private Parsed() {}

    static Preprocessing of(String spec) {
      return CACHE.computeIfAbsent(
          spec,
          s -> {
            try {
              return Preprocessing.parse(s);
            } catch (EdgeoptException e) {
              throw new DataException(e.getMessage(), e);
            }
          });
    }
  }
}
