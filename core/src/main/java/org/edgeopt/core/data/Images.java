package org.edgeopt.core.data;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import org.edgeopt.core.graph.Tensor;

/** Decodes images (PNG, JPEG) through DJL's image API and applies a {@link Preprocessing}. */
public final class Images {
  private Images() {}

  /** Decodes an image file into a buffered image. */
  public static BufferedImage decode(Path file) {
    try {
      Image img = ImageFactory.getInstance().fromFile(file);
      Object wrapped = img.getWrappedImage();
      if (!(wrapped instanceof BufferedImage bi)) {
        throw new DataException(
            file + ": the image decoder returned " + wrapped.getClass().getName());
      }
      return bi;
    } catch (IOException | RuntimeException e) {
      if (e instanceof DataException de) {
        throw de;
      }
      throw new DataException(
          file + ": not a readable image (expected PNG or JPEG): " + e.getMessage(), e);
    }
  }

  /**
   * Decodes an image held in memory (a Parquet cell, a file read by Spark) with the same decoder
   * as {@link #decode(Path)}; {@code where} names it in errors.
   */
  public static BufferedImage decode(byte[] bytes, String where) {
    try {
      Image img =
          ImageFactory.getInstance().fromInputStream(new java.io.ByteArrayInputStream(bytes));
      Object wrapped = img.getWrappedImage();
      if (!(wrapped instanceof BufferedImage bi)) {
        throw new DataException(
            where + ": the image decoder returned " + wrapped.getClass().getName());
      }
      return bi;
    } catch (IOException | RuntimeException e) {
      if (e instanceof DataException de) {
        throw de;
      }
      throw new DataException(
          where + ": not a readable image (expected PNG or JPEG): " + e.getMessage(), e);
    }
  }

  /**
   * Returns the spec with its channels decided for an image when the user left them out: a
   * grayscale image (one colour component) is read as one channel, any other as RGB.
   */
  public static Preprocessing forImage(BufferedImage img, Preprocessing pre) {
    if (!pre.channels().isEmpty()) {
      return pre;
    }
    return pre.withChannels(isGray(img) ? "gray" : "rgb");
  }

  /** Returns whether an image holds one gray band (8 or 16 bits), read from its raster as stored. */
  static boolean isGray(BufferedImage img) {
    return img.getColorModel().getNumColorComponents() == 1 && img.getRaster().getNumBands() == 1;
  }

  /** Returns the channel count of the preprocessed image: 1 for gray, otherwise 3. */
  public static int channels(Preprocessing pre) {
    return "gray".equals(pre.channels()) ? 1 : 3;
  }

  /** Resizes and crops as {@code pre} says; returns the image to sample pixels from. */
  public static BufferedImage geometry(BufferedImage src, Preprocessing pre) {
    BufferedImage img = src;
    if (pre.resize() > 0) {
      int w = img.getWidth();
      int h = img.getHeight();
      double f = (double) pre.resize() / Math.min(w, h);
      int nw = (int) Math.round(w * f);
      int nh = (int) Math.round(h * f);
      // Gray stays gray: drawing it into RGB would pass it through Java's linear-gray to sRGB
      // conversion and brighten every level (200 becomes 229).
      BufferedImage r =
          new BufferedImage(
              nw, nh, isGray(img) ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
      Graphics2D g = r.createGraphics();
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(img, 0, 0, nw, nh, null);
      g.dispose();
      img = r;
    }
    if (pre.crop() > 0) {
      int c = pre.crop();
      if (img.getWidth() < c || img.getHeight() < c) {
        throw new DataException(
            "image of "
                + img.getWidth()
                + "x"
                + img.getHeight()
                + " is smaller than the crop "
                + c);
      }
      img = img.getSubimage((img.getWidth() - c) / 2, (img.getHeight() - c) / 2, c, c);
    }
    return img;
  }

  /** Writes one preprocessed image into {@code out} at {@code offset}: C*H*W floats in the spec's layout. */
  public static void toFloats(BufferedImage img, Preprocessing pre, float[] out, int offset) {
    int w = img.getWidth();
    int h = img.getHeight();
    int ch = channels(pre);
    boolean bgr = "bgr".equals(pre.channels());
    // Gray levels are read as stored: getRGB would convert them as linear gray to sRGB.
    boolean gray = isGray(img);
    int sixteenBit = gray && img.getColorModel().getComponentSize(0) > 8 ? 257 : 1;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r;
        int g;
        int b;
        if (gray) {
          r = img.getRaster().getSample(x, y, 0) / sixteenBit;
          g = r;
          b = r;
        } else {
          int rgb = img.getRGB(x, y);
          r = (rgb >> 16) & 0xff;
          g = (rgb >> 8) & 0xff;
          b = rgb & 0xff;
        }
        for (int c = 0; c < ch; c++) {
          float v;
          if (ch == 1) {
            v = (r == g && g == b) ? r : 0.299f * r + 0.587f * g + 0.114f * b;
          } else {
            int src = bgr ? 2 - c : c;
            v = src == 0 ? r : src == 1 ? g : b;
          }
          int idx = pre.channelsLast() ? (y * w + x) * ch + c : c * h * w + y * w + x;
          out[offset + idx] = pre.normalize(v, c);
        }
      }
    }
  }

  /** Reads one image as a batch of one: {@code [1, C, H, W]} or {@code [1, H, W, C]}. */
  public static Tensor read(Path file, Preprocessing spec) {
    BufferedImage src = decode(file);
    Preprocessing pre = forImage(src, spec);
    int channels = channels(pre);
    for (float[] list : new float[][] {pre.mean(), pre.std()}) {
      if (list.length != 1 && list.length != channels) {
        throw new DataException(
            file
                + ": preprocessing '"
                + pre.toSpec()
                + "' gives "
                + list.length
                + " mean or std values for an image of "
                + channels
                + " channels: expected 1 value or "
                + channels);
      }
    }
    BufferedImage img = geometry(src, pre);
    int ch = channels(pre);
    float[] out = new float[ch * img.getWidth() * img.getHeight()];
    toFloats(img, pre, out, 0);
    long[] dims =
        pre.channelsLast()
            ? new long[] {1, img.getHeight(), img.getWidth(), ch}
            : new long[] {1, ch, img.getHeight(), img.getWidth()};
    return Tensor.ofFloats("input", dims, out);
  }
}
