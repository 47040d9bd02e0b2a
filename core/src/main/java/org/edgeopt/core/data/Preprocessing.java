package org.edgeopt.core.data;

import java.util.Arrays;
import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/**
 * How raw samples become model inputs: resize, centre crop, channel order, scale, mean/std and
 * layout, parsed from a compact spec such as {@code resize=256,crop=224,channels=bgr,mean=104:117:123}.
 *
 * <p>Order of operations: resize the short side to {@code resize}, centre-crop to {@code crop},
 * reorder channels, then {@code (x * scale - mean) / std} per channel, then lay out as NCHW or
 * NHWC. Images are read as 0..255.
 *
 * @param resize short side after resizing, 0 to keep
 * @param crop side of the centre crop, 0 for none
 * @param channels {@code gray}, {@code rgb} or {@code bgr}
 * @param scale factor applied first
 * @param mean per-channel mean (one value applies to all channels)
 * @param std per-channel standard deviation
 * @param layout {@code nchw} or {@code nhwc}
 */
public record Preprocessing(
    int resize, int crop, String channels, float scale, float[] mean, float[] std, String layout) {
  /** The largest {@code resize} and {@code crop}: 8192 pixels a side is past any model input. */
  public static final int MAX_SIDE = 8192;

  /** Returns the identity spec: raw values, NCHW. */
  public static Preprocessing identity() {
    return new Preprocessing(0, 0, "", 1f, new float[] {0f}, new float[] {1f}, "nchw");
  }

  /** Parses a spec; an empty or null spec is the identity. */
  public static Preprocessing parse(String spec) throws EdgeoptException {
    Preprocessing p = identity();
    if (spec == null || spec.isBlank()) {
      return p;
    }
    int resize = 0;
    int crop = 0;
    String channels = "";
    float scale = 1f;
    float[] mean = {0f};
    float[] std = {1f};
    String layout = "nchw";
    for (String part : spec.split(",")) {
      String[] kv = part.split("=", 2);
      if (kv.length != 2) {
        throw EdgeoptException.invalid(
            "preprocessing '" + spec + "': expected key=value, found '" + part + "'");
      }
      String k = kv[0].strip().toLowerCase(Locale.ROOT);
      String v = kv[1].strip();
      try {
        switch (k) {
          case "resize" -> resize = side(spec, k, v);
          case "crop" -> crop = side(spec, k, v);
          case "channels" -> {
            channels = v.toLowerCase(Locale.ROOT);
            if (!channels.equals("gray") && !channels.equals("rgb") && !channels.equals("bgr")) {
              throw EdgeoptException.invalid(
                  "preprocessing: channels must be gray, rgb or bgr, found '" + v + "'");
            }
          }
          case "scale" -> scale = parseFloat(v);
          case "mean" -> mean = floats(v);
          case "std" -> std = floats(v);
          case "layout" -> {
            layout = v.toLowerCase(Locale.ROOT);
            if (!layout.equals("nchw") && !layout.equals("nhwc")) {
              throw EdgeoptException.invalid(
                  "preprocessing: layout must be nchw or nhwc, found '" + v + "'");
            }
          }
          default ->
              throw EdgeoptException.invalid(
                  "preprocessing '"
                      + spec
                      + "': unknown key '"
                      + k
                      + "' (expected resize, crop, channels, scale, mean, std, layout)");
        }
      } catch (NumberFormatException e) {
        throw EdgeoptException.invalid(
            "preprocessing '" + spec + "': '" + k + "' expects a number, found '" + v + "'");
      }
    }
    for (float s : std) {
      if (s == 0f) {
        throw EdgeoptException.invalid("preprocessing '" + spec + "': std must not be 0");
      }
    }
    if (mean.length > 1 && std.length > 1 && mean.length != std.length) {
      throw EdgeoptException.invalid(
          "preprocessing '"
              + spec
              + "': mean has "
              + mean.length
              + " values and std "
              + std.length
              + ": expected one value per channel in both, or one value for all channels");
    }
    Preprocessing p2 = new Preprocessing(resize, crop, channels, scale, mean, std, layout);
    if (!channels.isEmpty()) {
      p2.requireChannels(channels.equals("gray") ? 1 : 3, "channels=" + channels, spec);
    }
    return p2;
  }

  /** Parses {@code resize} or {@code crop}: a side from 1 to {@link #MAX_SIDE} pixels. */
  private static int side(String spec, String key, String v) throws EdgeoptException {
    long side;
    try {
      side = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw EdgeoptException.invalid(
          "preprocessing '"
              + spec
              + "': '"
              + key
              + "' expects a whole number of pixels, found '"
              + v
              + "'");
    }
    if (side < 1 || side > MAX_SIDE) {
      throw EdgeoptException.invalid(
          "preprocessing '"
              + spec
              + "': "
              + key
              + "="
              + v
              + " is out of range: expected 1.."
              + MAX_SIDE
              + " pixels (leave "
              + key
              + " out to keep the image's size)");
    }
    return (int) side;
  }

  /**
   * Refuses a per-channel mean or std whose length is neither 1 nor the data's channel count,
   * which would otherwise be cut short or index past the list.
   *
   * @param channels the number of channels of the samples
   * @param where what decided the channel count, for the message (e.g. the data set)
   * @throws EdgeoptException (exit 3) naming both counts
   */
  public void requireChannels(int channels, String where) throws EdgeoptException {
    requireChannels(channels, where, toSpec());
  }

  private void requireChannels(int channels, String where, String spec) throws EdgeoptException {
    for (String key : new String[] {"mean", "std"}) {
      int n = key.equals("mean") ? mean.length : std.length;
      if (n != 1 && n != channels) {
        throw EdgeoptException.invalid(
            "preprocessing '"
                + spec
                + "': "
                + key
                + " has "
                + n
                + " values but "
                + where
                + " has "
                + channels
                + (channels == 1 ? " channel" : " channels")
                + ": expected 1 value or "
                + channels);
      }
    }
  }

  /** Returns this spec with the channel order set, e.g. the one the images themselves have. */
  public Preprocessing withChannels(String newChannels) {
    return new Preprocessing(resize, crop, newChannels, scale, mean, std, layout);
  }

  private static float parseFloat(String v) {
    int slash = v.indexOf('/');
    if (slash > 0) {
      return Float.parseFloat(v.substring(0, slash)) / Float.parseFloat(v.substring(slash + 1));
    }
    return Float.parseFloat(v);
  }

  private static float[] floats(String v) {
    String[] parts = v.split(":");
    float[] f = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      f[i] = parseFloat(parts[i].strip());
    }
    return f;
  }

  /** Returns whether samples are laid out channels-last. */
  public boolean channelsLast() {
    return layout.equals("nhwc");
  }

  /** Normalizes one value of channel {@code c}: {@code (x * scale - mean[c]) / std[c]}. */
  public float normalize(float x, int c) {
    float m = mean[mean.length == 1 ? 0 : c];
    float s = std[std.length == 1 ? 0 : c];
    return (x * scale - m) / s;
  }

  /** Returns the spec string this record parses from. */
  public String toSpec() {
    StringBuilder sb = new StringBuilder();
    if (resize > 0) {
      sb.append("resize=").append(resize).append(',');
    }
    if (crop > 0) {
      sb.append("crop=").append(crop).append(',');
    }
    if (!channels.isEmpty()) {
      sb.append("channels=").append(channels).append(',');
    }
    sb.append("scale=")
        .append(scale)
        .append(",mean=")
        .append(join(mean))
        .append(",std=")
        .append(join(std))
        .append(",layout=")
        .append(layout);
    return sb.toString();
  }

  private static String join(float[] f) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < f.length; i++) {
      sb.append(i == 0 ? "" : ":").append(f[i]);
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p && p.toSpec().equals(toSpec());
  }

  @Override
  public int hashCode() {
    return toSpec().hashCode();
  }

  @Override
  public String toString() {
    return toSpec();
  }

  /** Returns mean values as a copy. */
  @Override
  public float[] mean() {
    return mean.clone();
  }

  /** Returns std values as a copy. */
  @Override
  public float[] std() {
    return std.clone();
  }

  static String arrayString(float[] a) {
    return Arrays.toString(a);
  }
}
