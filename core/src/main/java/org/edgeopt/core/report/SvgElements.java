package org.edgeopt.core.report;

import java.util.Locale;

/**
 * The SVG elements that {@link SvgCharts} builds its charts from: the root element, lines, texts,
 * bars and a count axis, in the charts' shared palette.
 *
 * <p>Every function formats numbers with {@link Locale#ROOT} and escapes every text with {@link
 * Markup#escape}, so the charts stay well-formed XML whatever the default locale.
 */
final class SvgElements {
  /** The colour of axis lines and tick labels. */
  static final String AXIS = "#57606a";

  /** The colour of grid lines. */
  static final String GRID = "#d8dee4";

  /** The colour of body text and markers. */
  static final String INK = "#24292f";

  private SvgElements() {}

  /**
   * Starts an {@code <svg>} root element {@link SvgCharts#WIDTH} wide and {@code height} high,
   * labelled {@code title}; the caller appends the content and closes it.
   */
  static StringBuilder open(int height, String title) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
                + "role=\"img\" aria-label=\"%s\" font-family=\"system-ui, sans-serif\">",
            SvgCharts.WIDTH,
            height,
            Markup.escape(title)));
    return s;
  }

  /**
   * Draws a count axis on the left: five grid lines from 0 to {@code max} with their counts, the
   * base line, and {@code unit} written upwards.
   */
  static void axes(StringBuilder s, int left, int base, int plot, int plotH, int max, String unit) {
    for (int i = 0; i <= 4; i++) {
      double y = base - plotH * i / 4.0;
      s.append(line(left, y, left + plot, y, GRID, 1, null));
      s.append(text(left - 6, y + 4, "end", 11, AXIS, Integer.toString(max / 4 * i)));
    }
    s.append(line(left, base, left + plot, base, AXIS, 1, null));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\" "
                + "font-size=\"12\" fill=\"%s\">%s</text>",
            base - plotH / 2.0,
            base - plotH / 2.0,
            AXIS,
            Markup.escape(unit)));
  }

  /** Draws a bar {@code h} high standing on {@code base}, with {@code title} as its tooltip. */
  static void bar(
      StringBuilder s,
      double x,
      double base,
      double w,
      double h,
      String color,
      double opacity,
      String title) {
    if (h <= 0) {
      return;
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                + "fill-opacity=\"%.2f\"><title>%s</title></rect>",
            x,
            base - h,
            Math.max(0.5, w),
            h,
            color,
            opacity,
            Markup.escape(title)));
  }

  /** Returns a line, dashed with the SVG pattern {@code dash} unless that is null. */
  static String line(
      double x1, double y1, double x2, double y2, String color, double width, String dash) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            + "stroke-width=\"%.1f\"%s/>",
        x1,
        y1,
        x2,
        y2,
        color,
        width,
        dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  /** Returns {@code content}, escaped, as a text element anchored at (x, y). */
  static String text(double x, double y, String anchor, int size, String color, String content) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">%s</text>",
        x,
        y,
        anchor,
        size,
        color,
        Markup.escape(content));
  }
}
