package org.edgeopt.core.report;

import static org.edgeopt.core.report.SvgElements.AXIS;
import static org.edgeopt.core.report.SvgElements.GRID;
import static org.edgeopt.core.report.SvgElements.INK;
import static org.edgeopt.core.report.SvgElements.axes;
import static org.edgeopt.core.report.SvgElements.bar;
import static org.edgeopt.core.report.SvgElements.line;
import static org.edgeopt.core.report.SvgElements.open;
import static org.edgeopt.core.report.SvgElements.text;

import java.util.List;
import java.util.Locale;

/**
 * Small data-to-SVG chart functions for edgeopt's pages: horizontal bars with a marker, a line of
 * points, overlaid histograms and one stacked bar.
 *
 * <p>Each function takes plain data (labels already worded, colours chosen by the caller) and
 * returns one {@code <svg>} element, 960 units wide and scaled to the page width, for a template's
 * triple braces. No script and no external reference, so a page stays one self-contained file
 * that renders anywhere offline; every text is escaped with {@link Markup#escape}, so the result
 * is well-formed XML. Tooltips are SVG {@code <title>} children.
 */
public final class SvgCharts {
  /** The colour of the first (reference) series in a comparison. */
  public static final String REFERENCE_COLOR = "#4c78a8";

  /** The colour of the second (candidate) series in a comparison. */
  public static final String CANDIDATE_COLOR = "#f58518";

  /** Red, for what fails or should be looked at first. */
  public static final String BAD_COLOR = "#cf222e";

  /** Amber, for what is borderline. */
  public static final String WARN_COLOR = "#d4a72c";

  /** Green, for what is healthy. */
  public static final String GOOD_COLOR = "#2da44e";

  /** The width of every chart's view box; charts scale to the page's width. */
  public static final int WIDTH = 960;

  /** The horizontal distance between the entries of a histogram legend. */
  private static final int LEGEND_STEP = 330;

  private SvgCharts() {}

  /**
   * One row of {@link #barsWithMarkers}.
   *
   * @param label the text left of the bar (already shortened to fit about 44 characters)
   * @param value the bar's length in axis units; clamped to the axis
   * @param marker where the diamond marker sits, in axis units; clamped to the axis
   * @param color the bar's fill
   * @param tooltip the bar's hover text
   * @param valueLabel the text right of the plot
   */
  public record BarRow(
      String label, double value, double marker, String color, String tooltip, String valueLabel) {}

  /**
   * A value axis from zero to {@code max} with a grid line every {@code step}.
   *
   * @param max the axis end, a multiple of {@code step}
   * @param step the distance between grid lines
   * @param unit appended to every tick label after a space
   */
  public record Axis(double max, int step, String unit) {
    /**
     * Returns the axis covering {@code values}: at least {@code floor}, at most {@code cap}, rounded
     * up to a multiple of {@code step}.
     */
    public static Axis covering(
        List<Double> values, double floor, double cap, int step, String unit) {
      double max = floor;
      for (double v : values) {
        max = Math.max(max, Math.min(cap, v));
      }
      return new Axis(Math.ceil(max / step) * step, step, unit);
    }
  }

  /**
   * Horizontal bars, one row each, with a diamond marker on every row and a two-entry legend below
   * (a bar swatch and a marker). The label column is 300 units, the value column 110.
   */
  public static String barsWithMarkers(
      String title, List<BarRow> rows, Axis axis, String barLegend, String markerLegend) {
    int left = 300;
    int right = 110;
    int row = 22;
    int top = 34;
    double max = axis.max();
    int plot = WIDTH - left - right;
    int height = top + row * rows.size() + 30;
    StringBuilder s = open(height, title);
    for (int tick = 0; tick <= max; tick += axis.step()) {
      double x = left + plot * tick / max;
      s.append(line(x, top - 6, x, top + row * rows.size(), GRID, 1, null));
      s.append(text(x, top - 12, "middle", 11, AXIS, tick + " " + axis.unit()));
    }
    for (int i = 0; i < rows.size(); i++) {
      BarRow r = rows.get(i);
      double y = top + i * row;
      s.append(text(left - 8, y + 15, "end", 12, INK, r.label()));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\">"
                  + "<title>%s</title></rect>",
              left,
              y + 3,
              Math.max(1, plot * clamp(r.value(), 0, max) / max),
              row - 6,
              r.color(),
              Markup.escape(r.tooltip())));
      double mx = left + plot * clamp(r.marker(), 0, max) / max;
      s.append(
          String.format(
              Locale.ROOT,
              "<path d=\"M%.1f %.1f l5 8 l-5 8 l-5 -8 z\" fill=\"%s\"/>",
              mx,
              y + 3,
              INK));
      s.append(text(WIDTH - right + 8, y + 15, "start", 12, INK, r.valueLabel()));
    }
    double ly = top + row * rows.size() + 20;
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>",
            left,
            ly - 9,
            GOOD_COLOR));
    s.append(text(left + 18, ly, "start", 11, AXIS, barLegend));
    s.append(
        String.format(
            Locale.ROOT,
            "<path d=\"M%.1f %.1f l5 6 l-5 6 l-5 -6 z\" fill=\"%s\"/>",
            left + 340.0,
            ly - 10,
            INK));
    s.append(text(left + 352, ly, "start", 11, AXIS, markerLegend));
    return s.append("</svg>").toString();
  }

  /** How a point of {@link #pointLine} is drawn. */
  public enum PointStyle {
    /** A filled dot in the reference colour. */
    FILLED,
    /** A hollow dot with a reference-colour ring. */
    HOLLOW,
    /** A larger red dot with its callout written beside it. */
    HIGHLIGHTED
  }

  /**
   * One point of {@link #pointLine}.
   *
   * @param value the height in axis units; clamped to the axis
   * @param style how the dot is drawn
   * @param tooltip the dot's hover text
   * @param callout the text written beside a {@link PointStyle#HIGHLIGHTED} point; ignored otherwise
   */
  public record Point(double value, PointStyle style, String tooltip, String callout) {}

  /**
   * Points evenly spread left to right and joined by a line, over horizontal grid lines; a
   * highlighted point carries its callout on the side with room for it.
   */
  public static String pointLine(String title, List<Point> points, Axis axis, String xLabel) {
    int left = 60;
    int bottom = 34;
    int height = 240;
    int plotH = height - bottom - 30;
    int plot = WIDTH - left - 30;
    double max = axis.max();
    int base = height - bottom;
    StringBuilder s = open(height, title);
    for (int tick = 0; tick <= max; tick += axis.step()) {
      double y = base - plotH * tick / max;
      s.append(line(left, y, left + plot, y, GRID, 1, null));
      s.append(text(left - 6, y + 4, "end", 11, AXIS, tick + " " + axis.unit()));
    }
    double dx = points.size() > 1 ? (double) plot / (points.size() - 1) : 0;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < points.size(); i++) {
      double x = left + (points.size() > 1 ? i * dx : plot / 2.0);
      double y = base - plotH * clamp(points.get(i).value(), 0, max) / max;
      path.append(i == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
    }
    s.append("<path d=\"")
        .append(path)
        .append("\" fill=\"none\" stroke=\"")
        .append(REFERENCE_COLOR)
        .append("\" stroke-width=\"2\"/>");
    for (int i = 0; i < points.size(); i++) {
      Point p = points.get(i);
      double x = left + (points.size() > 1 ? i * dx : plot / 2.0);
      double y = base - plotH * clamp(p.value(), 0, max) / max;
      boolean highlighted = p.style() == PointStyle.HIGHLIGHTED;
      String fill =
          highlighted ? BAD_COLOR : p.style() == PointStyle.FILLED ? REFERENCE_COLOR : "#ffffff";
      s.append(
          String.format(
              Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"%s\" "
                  + "stroke-width=\"1.5\"><title>%s</title></circle>",
              x,
              y,
              highlighted ? 6 : 4,
              fill,
              highlighted ? BAD_COLOR : REFERENCE_COLOR,
              Markup.escape(p.tooltip())));
      if (highlighted) {
        String anchor = x > left + plot * 0.7 ? "end" : "start";
        s.append(
            text(
                x + ("end".equals(anchor) ? -10 : 10), y - 10, anchor, 12, BAD_COLOR, p.callout()));
      }
    }
    s.append(text(left + plot / 2.0, height - 8, "middle", 12, AXIS, xLabel));
    return s.append("</svg>").toString();
  }

  /**
   * One series of {@link #overlaidHistograms}.
   *
   * @param counts the count in each bin
   * @param tooltips the hover text of each bin, as many as {@code counts}
   * @param color the bars' fill, drawn half transparent so overlaid series stay visible
   * @param marker where the series' dashed marker line stands, as a fraction of the x axis
   * @param legend the series' legend text
   */
  public record Series(
      List<Integer> counts, List<String> tooltips, String color, double marker, String legend) {
    /** Checks that every bin has its tooltip. */
    public Series {
      counts = List.copyOf(counts);
      tooltips = List.copyOf(tooltips);
      if (tooltips.size() != counts.size()) {
        throw new IllegalArgumentException(
            "a histogram series needs one tooltip per bin: "
                + counts.size()
                + " bins, "
                + tooltips.size()
                + " tooltips");
      }
    }
  }

  /**
   * A label under the x axis.
   *
   * @param at the position as a fraction of the axis, 0 to 1
   * @param label the text
   */
  public record Tick(double at, String label) {}

  /**
   * Histograms of several series over the same bins, overlaid, each with a dashed marker line (a
   * mean or a median) and a legend entry; the y axis ends on a round count ({@link #niceMax}).
   *
   * @param height the chart's height in view-box units
   * @param yUnit what is counted, written along the y axis
   */
  public static String overlaidHistograms(
      String title,
      int height,
      List<Series> series,
      List<Tick> xTicks,
      String xLabel,
      String yUnit) {
    int left = 60;
    int bottom = 40;
    int plotH = height - bottom - 40;
    int plot = WIDTH - left - 20;
    int bins = series.get(0).counts().size();
    int max = 1;
    for (Series one : series) {
      for (int count : one.counts()) {
        max = Math.max(max, count);
      }
    }
    max = niceMax(max);
    StringBuilder s = open(height, title);
    axes(s, left, height - bottom, plot, plotH, max, yUnit);
    double bw = (double) plot / bins;
    for (int i = 0; i < bins; i++) {
      for (Series one : series) {
        bar(
            s,
            left + i * bw + 1,
            height - bottom,
            bw - 2,
            plotH * one.counts().get(i) / (double) max,
            one.color(),
            0.55,
            one.tooltips().get(i));
      }
    }
    for (Tick tick : xTicks) {
      s.append(
          text(left + plot * tick.at(), height - bottom + 16, "middle", 11, AXIS, tick.label()));
    }
    s.append(text(left + plot / 2.0, height - 6, "middle", 12, AXIS, xLabel));
    for (Series one : series) {
      s.append(
          line(
              left + plot * one.marker(),
              height - bottom - plotH,
              left + plot * one.marker(),
              height - bottom,
              one.color(),
              2,
              "5 4"));
    }
    for (int i = 0; i < series.size(); i++) {
      double x = left + 10 + i * LEGEND_STEP;
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" "
                  + "fill-opacity=\"0.7\"/>",
              x,
              14 - 10.0,
              series.get(i).color()));
      s.append(text(x + 18, 14, "start", 12, INK, series.get(i).legend()));
    }
    return s.append("</svg>").toString();
  }

  /**
   * One part of {@link #stackedBar}.
   *
   * @param name the part's name in the legend and tooltip
   * @param value its size, in {@code unit}s
   * @param color its fill
   */
  public record Segment(String name, double value, String color) {}

  /**
   * One horizontal bar split into its parts, each labelled below with its value and share of
   * {@code total}.
   */
  public static String stackedBar(String title, List<Segment> segments, double total, String unit) {
    int height = 86;
    int left = 10;
    int plot = WIDTH - 20;
    double whole = Math.max(total, 1e-9);
    StringBuilder s = open(height, title);
    double x = left;
    for (Segment part : segments) {
      double w = plot * part.value() / whole;
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" height=\"30\" fill=\"%s\">"
                  + "<title>%s</title></rect>",
              x,
              Math.max(0.5, w),
              part.color(),
              Markup.escape(
                  String.format(Locale.ROOT, "%s: %.4f %s", part.name(), part.value(), unit))));
      x += w;
    }
    double lx = left;
    for (Segment part : segments) {
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"56\" width=\"12\" height=\"12\" fill=\"%s\"/>",
              lx,
              part.color()));
      s.append(
          text(
              lx + 18,
              67,
              "start",
              12,
              INK,
              String.format(
                  Locale.ROOT,
                  "%s %.3f %s (%.0f%%)",
                  part.name(),
                  part.value(),
                  unit,
                  100 * part.value() / whole)));
      lx += 300;
    }
    return s.append("</svg>").toString();
  }

  /**
   * Counts {@code values} into {@code bins} equal bins over [lo, hi]; values outside fall into the
   * first or the last bin, so one outlier cannot stretch the axis.
   */
  public static int[] histogram(List<Double> values, double lo, double hi, int bins) {
    int[] h = new int[bins];
    for (double v : values) {
      int b = (int) Math.floor((v - lo) / (hi - lo) * bins);
      h[Math.max(0, Math.min(bins - 1, b))]++;
    }
    return h;
  }

  /**
   * Returns the axis maximum for counts up to {@code max}: four ticks of a round step (1, 2, 2.5 or
   * 5 times a power of ten).
   */
  public static int niceMax(int max) {
    int step;
    for (int p = 1; ; p *= 10) {
      if (max <= 4 * p) {
        step = p;
        break;
      }
      if (max <= 8 * p) {
        step = 2 * p;
        break;
      }
      if (max <= 10 * p && p >= 10) {
        step = 5 * p / 2;
        break;
      }
      if (max <= 20 * p) {
        step = 5 * p;
        break;
      }
    }
    return 4 * step;
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
