package org.edgeopt.validate;

import java.util.List;
import java.util.Locale;

/**
 * The inline SVG charts of the HTML report: the per-layer SQNR bars, the overlaid confidence
 * histograms, the latency distributions and the pipeline breakdown. Plain SVG, no script, so the
 * report renders anywhere without a network.
 */
final class SvgCharts {
  static final String REFERENCE_COLOR = "#4c78a8";
  static final String CANDIDATE_COLOR = "#f58518";
  private static final String AXIS = "#57606a";
  private static final String GRID = "#d8dee4";
  private static final int WIDTH = 960;

  private SvgCharts() {}

  /** Returns the colour for a layer's added SQNR: red below 20 dB, amber below 30 dB, green above. */
  static String severity(double db) {
    return db < 20 ? "#cf222e" : db < 30 ? "#d4a72c" : "#2da44e";
  }

  /**
   * Horizontal bars of each layer's added SQNR (worst first), with a tick for its SQNR in the whole
   * candidate; values above the axis maximum are drawn to the edge and labelled.
   */
  static String layerBars(List<LayerDiagnosis.LayerError> layers) {
    int left = 300;
    int right = 110;
    int row = 22;
    int top = 34;
    double max = 40;
    for (LayerDiagnosis.LayerError e : layers) {
      max = Math.max(max, Math.min(80, Math.max(e.addedSqnrDb(), e.sqnrDb())));
    }
    max = Math.ceil(max / 10) * 10;
    int plot = WIDTH - left - right;
    int height = top + row * layers.size() + 30;
    StringBuilder s = open(height, "Per-layer SQNR, worst first");
    for (int db = 0; db <= max; db += 10) {
      double x = left + plot * db / max;
      s.append(line(x, top - 6, x, top + row * layers.size(), GRID, 1, null));
      s.append(text(x, top - 12, "middle", 11, AXIS, db + " dB"));
    }
    for (int i = 0; i < layers.size(); i++) {
      LayerDiagnosis.LayerError e = layers.get(i);
      double y = top + i * row;
      double added = clamp(e.addedSqnrDb(), 0, max);
      double whole = clamp(e.sqnrDb(), 0, max);
      // About 44 characters fit the label column at this font size; the node name's end is kept.
      String op = " (" + e.opType() + ")";
      String label = HtmlReport.abbreviate(e.node(), Math.max(12, 44 - op.length())) + op;
      s.append(text(left - 8, y + 15, "end", 12, "#24292f", label));
      s.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\"><title>%s: %.1f dB on its own (%s), "
              + "%.1f dB in the whole candidate</title></rect>",
          left, y + 3, Math.max(1, plot * added / max), row - 6, severity(e.addedSqnrDb()), HtmlReport.esc(e.node()),
          e.addedSqnrDb(), e.addedBy(), e.sqnrDb()));
      double wx = left + plot * whole / max;
      s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1f l5 8 l-5 8 l-5 -8 z\" fill=\"#24292f\"/>", wx, y + 3));
      s.append(text(WIDTH - right + 8, y + 15, "start", 12, "#24292f",
          fmt(e.addedSqnrDb()) + " / " + fmt(e.sqnrDb()) + " dB"));
    }
    double ly = top + row * layers.size() + 20;
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"#2da44e\"/>", left, ly - 9));
    s.append(text(left + 18, ly, "start", 11, AXIS, "bar: SQNR of the layer on its own (error it adds)"));
    s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1f l5 6 l-5 6 l-5 -6 z\" fill=\"#24292f\"/>", left + 340.0, ly - 10));
    s.append(text(left + 352, ly, "start", 11, AXIS, "SQNR in the whole candidate (accumulated)"));
    return s.append("</svg>").toString();
  }

  /**
   * The SQNR of every compared layer in the whole candidate, in graph order: where error enters
   * and how it accumulates. Reduced-precision layers are filled dots, the one to exclude first is
   * red and labelled.
   */
  static String accumulation(List<LayerDiagnosis.LayerError> layers, String excludeFirst) {
    List<LayerDiagnosis.LayerError> ordered = layers.stream()
        .sorted(java.util.Comparator.comparingInt(LayerDiagnosis.LayerError::position)).toList();
    int left = 60;
    int bottom = 34;
    int height = 240;
    int plotH = height - bottom - 30;
    int plot = WIDTH - left - 30;
    double max = 40;
    for (LayerDiagnosis.LayerError e : ordered) {
      max = Math.max(max, Math.min(80, e.sqnrDb()));
    }
    max = Math.ceil(max / 10) * 10;
    int base = height - bottom;
    StringBuilder s = open(height, "SQNR of each layer in the whole candidate, in graph order");
    for (int db = 0; db <= max; db += 10) {
      double y = base - plotH * db / max;
      s.append(line(left, y, left + plot, y, GRID, 1, null));
      s.append(text(left - 6, y + 4, "end", 11, AXIS, db + " dB"));
    }
    double dx = ordered.size() > 1 ? (double) plot / (ordered.size() - 1) : 0;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < ordered.size(); i++) {
      double x = left + (ordered.size() > 1 ? i * dx : plot / 2.0);
      double y = base - plotH * clamp(ordered.get(i).sqnrDb(), 0, max) / max;
      path.append(i == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
    }
    s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(REFERENCE_COLOR)
        .append("\" stroke-width=\"2\"/>");
    for (int i = 0; i < ordered.size(); i++) {
      LayerDiagnosis.LayerError e = ordered.get(i);
      double x = left + (ordered.size() > 1 ? i * dx : plot / 2.0);
      double y = base - plotH * clamp(e.sqnrDb(), 0, max) / max;
      boolean worst = e.node().equals(excludeFirst);
      String fill = worst ? "#cf222e" : e.reducedPrecision() ? REFERENCE_COLOR : "#ffffff";
      s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"%s\" "
          + "stroke-width=\"1.5\"><title>%d. %s (%s): %.1f dB</title></circle>", x, y, worst ? 6 : 4, fill,
          worst ? "#cf222e" : REFERENCE_COLOR, e.position(), HtmlReport.esc(e.node()), e.opType(), e.sqnrDb()));
      if (worst) {
        String anchor = x > left + plot * 0.7 ? "end" : "start";
        s.append(text(x + ("end".equals(anchor) ? -10 : 10), y - 10, anchor, 12, "#cf222e",
            (e.addedSqnrDb() < LayerDiagnosis.HEALTHY_SQNR_DB ? "exclude first: " : "weakest: ")
                + HtmlReport.abbreviate(e.node(), 40)));
      }
    }
    s.append(text(left + plot / 2.0, height - 8, "middle", 12, AXIS,
        "layers in graph order (filled: reduced precision; hollow: float)"));
    return s.append("</svg>").toString();
  }

  /** Overlaid histograms of the two models' confidence over equal bins of [0, 1], with their means. */
  static String confidence(ValidationReport.Confidence c) {
    int left = 60;
    int bottom = 40;
    int height = 300;
    int plotH = height - bottom - 40;
    int plot = WIDTH - left - 20;
    List<Integer> r = c.reference().histogram();
    List<Integer> k = c.candidate().histogram();
    int max = 1;
    for (int i = 0; i < c.bins(); i++) {
      max = Math.max(max, Math.max(r.get(i), k.get(i)));
    }
    max = niceMax(max);
    StringBuilder s = open(height, "Confidence histograms of reference and candidate");
    axes(s, left, height - bottom, plot, plotH, max, "samples");
    double bw = (double) plot / c.bins();
    for (int i = 0; i < c.bins(); i++) {
      bar(s, left + i * bw + 1, height - bottom, bw - 2, plotH * r.get(i) / (double) max, REFERENCE_COLOR, 0.55,
          "reference: " + r.get(i) + " samples in " + binLabel(i, c.bins()));
      bar(s, left + i * bw + 1, height - bottom, bw - 2, plotH * k.get(i) / (double) max, CANDIDATE_COLOR, 0.55,
          "candidate: " + k.get(i) + " samples in " + binLabel(i, c.bins()));
    }
    for (int i = 0; i <= c.bins(); i += c.bins() / 5) {
      s.append(text(left + i * bw, height - bottom + 16, "middle", 11, AXIS, String.format(Locale.ROOT, "%.1f", (double) i / c.bins())));
    }
    s.append(text(left + plot / 2.0, height - 6, "middle", 12, AXIS, "largest class probability"));
    meanLine(s, left + plot * c.reference().mean(), height - bottom, plotH, REFERENCE_COLOR);
    meanLine(s, left + plot * c.candidate().mean(), height - bottom, plotH, CANDIDATE_COLOR);
    legend(s, left + 10, 14, String.format(Locale.ROOT, "reference (mean %.3f)", c.reference().mean()),
        String.format(Locale.ROOT, "candidate (mean %.3f)", c.candidate().mean()));
    return s.append("</svg>").toString();
  }

  /** Overlaid histograms of both models' timed runs, with their p50 and p95 marked. */
  static String latency(ValidationReport.Latency l) {
    int left = 60;
    int bottom = 40;
    int height = 280;
    int plotH = height - bottom - 40;
    int plot = WIDTH - left - 20;
    // The axis ends a quarter past the slower p95: a single preempted run on a busy machine must not
    // squeeze every other run into one bar. Slower runs are counted in the last bin.
    double lo = Math.min(l.reference().minMs(), l.candidate().minMs());
    double hi = Math.max(l.reference().p95Ms(), l.candidate().p95Ms()) * 1.25;
    if (hi <= lo) {
      hi = lo + 1e-3;
    }
    int bins = 40;
    int[] rh = histogram(l.reference().samplesMs(), lo, hi, bins);
    int[] ch = histogram(l.candidate().samplesMs(), lo, hi, bins);
    int max = 1;
    for (int i = 0; i < bins; i++) {
      max = Math.max(max, Math.max(rh[i], ch[i]));
    }
    max = niceMax(max);
    StringBuilder s = open(height, "Latency distribution of reference and candidate");
    axes(s, left, height - bottom, plot, plotH, max, "runs");
    double bw = (double) plot / bins;
    for (int i = 0; i < bins; i++) {
      bar(s, left + i * bw + 1, height - bottom, bw - 2, plotH * rh[i] / (double) max, REFERENCE_COLOR, 0.55,
          "reference: " + rh[i] + " runs");
      bar(s, left + i * bw + 1, height - bottom, bw - 2, plotH * ch[i] / (double) max, CANDIDATE_COLOR, 0.55,
          "candidate: " + ch[i] + " runs");
    }
    for (int i = 0; i <= 4; i++) {
      double v = lo + (hi - lo) * i / 4;
      s.append(text(left + plot * i / 4.0, height - bottom + 16, "middle", 11, AXIS, String.format(Locale.ROOT, "%.3f", v)));
    }
    s.append(text(left + plot / 2.0, height - 6, "middle", 12, AXIS, String.format(Locale.ROOT,
        "milliseconds per batch-1 run (runs over %.3f ms in the last bin)", hi)));
    double span = hi - lo;
    meanLine(s, left + plot * (l.reference().p50Ms() - lo) / span, height - bottom, plotH, REFERENCE_COLOR);
    meanLine(s, left + plot * (l.candidate().p50Ms() - lo) / span, height - bottom, plotH, CANDIDATE_COLOR);
    legend(s, left + 10, 14, String.format(Locale.ROOT, "reference (p50 %.3f ms, p95 %.3f ms)", l.reference().p50Ms(), l.reference().p95Ms()),
        String.format(Locale.ROOT, "candidate (p50 %.3f ms, p95 %.3f ms)", l.candidate().p50Ms(), l.candidate().p95Ms()));
    return s.append("</svg>").toString();
  }

  /** One stacked bar: pre-processing, inference and post-processing time per sample. */
  static String pipeline(ValidationReport.PipelineBreakdown p) {
    int height = 86;
    int left = 10;
    int plot = WIDTH - 20;
    double total = Math.max(p.totalMs(), 1e-9);
    String[] names = {"pre-processing", "inference", "post-processing"};
    double[] ms = {p.preprocessMs(), p.inferenceMs(), p.postprocessMs()};
    String[] colors = {"#8250df", CANDIDATE_COLOR, "#1f883d"};
    StringBuilder s = open(height, "Time per sample by pipeline stage");
    double x = left;
    for (int i = 0; i < 3; i++) {
      double w = plot * ms[i] / total;
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" height=\"30\" fill=\"%s\"><title>%s: %.4f ms</title></rect>",
          x, Math.max(0.5, w), colors[i], names[i], ms[i]));
      x += w;
    }
    double lx = left;
    for (int i = 0; i < 3; i++) {
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"56\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx, colors[i]));
      String label = String.format(Locale.ROOT, "%s %.3f ms (%.0f%%)", names[i], ms[i], 100 * ms[i] / total);
      s.append(text(lx + 18, 67, "start", 12, "#24292f", label));
      lx += 300;
    }
    return s.append("</svg>").toString();
  }

  private static int[] histogram(List<Double> values, double lo, double hi, int bins) {
    int[] h = new int[bins];
    for (double v : values) {
      int b = (int) Math.floor((v - lo) / (hi - lo) * bins);
      h[Math.max(0, Math.min(bins - 1, b))]++;
    }
    return h;
  }

  private static String binLabel(int i, int bins) {
    return String.format(Locale.ROOT, "[%.2f, %.2f%s", (double) i / bins, (double) (i + 1) / bins, i == bins - 1 ? "]" : ")");
  }

  private static StringBuilder open(int height, String title) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
        + "role=\"img\" aria-label=\"%s\" font-family=\"system-ui, sans-serif\">", WIDTH, height, HtmlReport.esc(title)));
    return s;
  }

  /** Returns the axis maximum for counts up to {@code max}: four ticks of a round step (1, 2, 2.5 or 5 times a power of ten). */
  static int niceMax(int max) {
    int step = 1;
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

  private static void axes(StringBuilder s, int left, int base, int plot, int plotH, int max, String unit) {
    for (int i = 0; i <= 4; i++) {
      double y = base - plotH * i / 4.0;
      s.append(line(left, y, left + plot, y, GRID, 1, null));
      s.append(text(left - 6, y + 4, "end", 11, AXIS, Integer.toString(max / 4 * i)));
    }
    s.append(line(left, base, left + plot, base, AXIS, 1, null));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\" "
        + "font-size=\"12\" fill=\"%s\">%s</text>", base - plotH / 2.0, base - plotH / 2.0, AXIS, unit));
  }

  private static void bar(StringBuilder s, double x, double base, double w, double h, String color, double opacity, String title) {
    if (h <= 0) {
      return;
    }
    s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
        + "fill-opacity=\"%.2f\"><title>%s</title></rect>", x, base - h, Math.max(0.5, w), h, color, opacity, HtmlReport.esc(title)));
  }

  private static void meanLine(StringBuilder s, double x, int base, int plotH, String color) {
    s.append(line(x, base - plotH, x, base, color, 2, "5 4"));
  }

  private static void legend(StringBuilder s, double x, double y, String ref, String cand) {
    s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" fill-opacity=\"0.7\"/>",
        x, y - 10, REFERENCE_COLOR));
    s.append(text(x + 18, y, "start", 12, "#24292f", ref));
    s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" fill-opacity=\"0.7\"/>",
        x + 330, y - 10, CANDIDATE_COLOR));
    s.append(text(x + 348, y, "start", 12, "#24292f", cand));
  }

  private static String line(double x1, double y1, double x2, double y2, String color, double width, String dash) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>",
        x1, y1, x2, y2, color, width, dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  private static String text(double x, double y, String anchor, int size, String color, String content) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">%s</text>",
        x, y, anchor, size, color, HtmlReport.esc(content));
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static String fmt(double db) {
    return db >= DriftMetrics.MAX_SQNR_DB ? "exact" : String.format(Locale.ROOT, "%.1f", db);
  }
}
