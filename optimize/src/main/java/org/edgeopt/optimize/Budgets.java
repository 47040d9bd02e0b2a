package org.edgeopt.optimize;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a search budget as people write it: {@code 90s}, {@code 10m}, {@code 1h}, or ISO-8601 ({@code PT10M}). */
public final class Budgets {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,9})\\s*(s|m|h)?");

  private Budgets() {}

  /**
   * Returns the duration {@code text} names; a bare number is minutes.
   *
   * @throws IllegalArgumentException when it is not a positive duration
   */
  public static Duration parse(String text) {
    String t = text == null ? "" : text.strip();
    Matcher m = SHORT.matcher(t.toLowerCase(Locale.ROOT));
    Duration d;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2) == null ? "m" : m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofMinutes(n);
          };
    } else {
      try {
        d = Duration.parse(t);
      } catch (DateTimeParseException e) {
        d = null;
      }
    }
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(
          "expected a positive time such as 90s, 10m or 1h, found '" + text + "'");
    }
    return d;
  }
}
