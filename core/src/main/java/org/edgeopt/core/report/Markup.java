package org.edgeopt.core.report;

/**
 * Escapes text for edgeopt's pages, which are polyglot XHTML: valid HTML that an XML parser also
 * reads strictly.
 *
 * <p>Used for every double-brace value of a template and for the text inside generated SVG. Unlike
 * a plain HTML escaper it also replaces control characters (other than tab and newline) by a
 * space, since XML 1.0 forbids them and a tensor or class name read from a model file may hold one.
 */
public final class Markup {
  private Markup() {}

  /** Returns {@code text} escaped for HTML/XML content and attribute values; {@code null} gives "". */
  public static String escape(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
      }
    }
    return b.toString();
  }
}
