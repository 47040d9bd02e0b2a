package org.edgeopt.core;

/**
 * Makes untrusted text (a file header, a name read from a model) safe to put in a one-line
 * message: control characters escaped, and clipped so a corrupt file cannot flood the terminal.
 */
public final class Excerpt {
  /** The longest excerpt of untrusted text a message carries, in characters before escaping. */
  public static final int DEFAULT_MAX = 200;

  private Excerpt() {}

  /** Returns {@code text} escaped and clipped to {@link #DEFAULT_MAX} characters. */
  public static String of(String text) {
    return of(text, DEFAULT_MAX);
  }

  /**
   * Returns {@code text} with control characters written as {@code \n}, {@code \t}, {@code \0} or
   * {@code \xNN}, clipped to {@code max} characters and followed by how many were left out.
   */
  public static String of(String text, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, found " + max);
    }
    if (text == null) {
      return "null";
    }
    int n = Math.min(text.length(), max);
    StringBuilder b = new StringBuilder(n + 32);
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\0' -> b.append("\\0");
        default -> {
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    if (text.length() > max) {
      b.append("... (").append(text.length() - max).append(" more characters)");
    }
    return b.toString();
  }
}
