package org.edgeopt.planners.split;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.edgeopt.core.EdgeoptException;

/**
 * A network link from the device to the server: uplink bandwidth and round-trip time.
 *
 * <p>A request that crosses the link costs one round trip plus its bytes at the uplink rate; the
 * answer (a few class scores) is taken to fit in the round trip.
 *
 * @param uplinkBitsPerSecond the uplink bandwidth in bit/s
 * @param rttSeconds the round-trip time in seconds
 */
public record Link(double uplinkBitsPerSecond, double rttSeconds) {
  private static final Pattern RATE =
      Pattern.compile("(?i)\\s*([0-9]*\\.?[0-9]+)\\s*([kmg]?)(bit|bps|b)(/s)?\\s*");
  private static final Pattern TIME =
      Pattern.compile("(?i)\\s*([0-9]*\\.?[0-9]+)\\s*(ms|s|us)\\s*");

  public Link {
    if (!(uplinkBitsPerSecond > 0) || Double.isInfinite(uplinkBitsPerSecond)) {
      throw new IllegalArgumentException(
          "uplink must be a positive bandwidth, found " + uplinkBitsPerSecond);
    }
    if (!(rttSeconds >= 0)) {
      throw new IllegalArgumentException("round-trip time must be >= 0, found " + rttSeconds);
    }
  }

  /** Returns the seconds to send {@code bytes} to the server and get the answer; 0 when nothing is sent. */
  public double transferSeconds(double bytes, boolean crosses) {
    return crosses ? rttSeconds + bytes * 8 / uplinkBitsPerSecond : 0;
  }

  /** Returns the uplink in Mbit/s. */
  public double megabitsPerSecond() {
    return uplinkBitsPerSecond / 1e6;
  }

  /** Parses a bandwidth such as {@code 10Mbit/s}, {@code 500kbit/s} or {@code 1Gbps} into bit/s. */
  public static double parseRate(String s) throws EdgeoptException {
    Matcher m = RATE.matcher(s);
    if (!m.matches()) {
      throw EdgeoptException.invalid(
          "expected a bandwidth such as 10Mbit/s, 500kbit/s or 1Gbit/s, found '" + s + "'");
    }
    double v = Double.parseDouble(m.group(1));
    double k =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k" -> 1e3;
          case "m" -> 1e6;
          case "g" -> 1e9;
          default -> 1;
        };
    if (!(v > 0)) {
      throw EdgeoptException.invalid("expected a positive bandwidth, found '" + s + "'");
    }
    return v * k;
  }

  /** Parses a duration such as {@code 40ms}, {@code 0.1s} or {@code 500us} into seconds. */
  public static double parseDuration(String s) throws EdgeoptException {
    Matcher m = TIME.matcher(s);
    if (!m.matches()) {
      throw EdgeoptException.invalid("expected a duration such as 40ms or 0.1s, found '" + s + "'");
    }
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> v / 1e3;
      case "us" -> v / 1e6;
      default -> v;
    };
  }
}
