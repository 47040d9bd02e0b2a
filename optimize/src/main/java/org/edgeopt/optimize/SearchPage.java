package org.edgeopt.optimize;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.report.Templates;

/**
 * {@code search.html}: the Pareto front of a search (top-1 drop against speed-up), why the winner
 * won, and every trial, as one self-contained page.
 */
final class SearchPage {
  /** The file name inside the output folder. */
  static final String FILE = "search.html";

  private static final int W = 640;
  private static final int H = 360;
  private static final int PAD = 48;

  private SearchPage() {}

  static void write(SearchLog log, OptimizeRequest request, Path file) throws EdgeoptException {
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("model", request.model().getFileName().toString());
    ctx.put("target", request.target());
    ctx.put("met", log.met());
    ctx.put("verdict", log.met() ? "MET" : "NOT MET");
    ctx.put("why", log.why());
    ctx.put(
        "bar",
        String.format(
            Locale.ROOT,
            "top-1 drop <= %.2f points%s",
            request.bar().maxTop1Drop(),
            request.bar().minAgreement() > 0
                ? String.format(Locale.ROOT, ", agreement >= %.2f%%", request.bar().minAgreement())
                : ""));
    ctx.put("objective", request.objective().id());
    ctx.put(
        "latency",
        log.latency().equals("measured")
            ? "measured on this host with ONNX Runtime at batch 1, interleaved with FP32 (p50 ratio)"
            : "MODELLED: roofline of the target profile over LayerCosts (MACs, bytes moved); not a measurement");
    ctx.put("fp32Top1", String.format(Locale.ROOT, "%.2f", log.fp32Top1()));
    ctx.put("trialCount", log.trials().size());
    ctx.put("seconds", String.format(Locale.ROOT, "%.0f", log.searchSeconds()));
    ctx.put("chart", chart(log, request.bar()));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Trial t : log.trials()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("index", t.index());
      r.put("phase", t.phase());
      r.put("label", t.config().label());
      r.put("floatLayers", String.join(", ", t.config().floatLayers()));
      r.put("top1", String.format(Locale.ROOT, "%.2f", t.top1()));
      r.put("drop", String.format(Locale.ROOT, "%.2f", t.top1Drop()));
      r.put("agreement", String.format(Locale.ROOT, "%.2f", t.agreement()));
      r.put(
          "speedup",
          String.format(Locale.ROOT, "%.2fx", t.speedup())
              + (t.latencyMeasured() || !log.latency().equals("measured") ? "" : " (modelled)"));
      r.put("modelled", String.format(Locale.ROOT, "%.2fx", t.modelledSpeedup()));
      r.put("size", String.format(Locale.ROOT, "%,d", t.sizeBytes()));
      r.put("macs", String.format(Locale.ROOT, "%,d", t.macs()));
      r.put("seconds", String.format(Locale.ROOT, "%.1f", t.seconds()));
      r.put("meets", t.meetsBar() ? "yes" : "no");
      r.put("winner", t.index() == log.winner());
      rows.add(r);
    }
    ctx.put("trials", rows);
    String html = Templates.render(SearchPage.class, "/org/edgeopt/optimize/search.mustache", ctx);
    try {
      AtomicFiles.writeString(file, html);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot write the search page: " + e.getMessage(), e);
    }
  }

  /**
   * Returns the scatter of every trial, the Pareto front as a line, the bar as a dashed line.
   * Measured speed-ups are the pooled ones the winner was chosen by (one figure per graph
   * structure), so the picture and the choice agree.
   */
  static String chart(SearchLog log, AccuracyBar bar) {
    List<Trial> trials = log.trials();
    if (trials.isEmpty()) {
      return "<p>No trial ran.</p>";
    }
    Map<String, Double> pooled = WinnerChoice.pooledSpeedups(trials);
    java.util.function.ToDoubleFunction<Trial> speed =
        t -> t.latencyMeasured() ? pooled.get(t.config().structureKey()) : t.speedup();
    double maxX = Math.max(1.1, trials.stream().mapToDouble(speed).max().orElse(1) * 1.1);
    double minX = Math.min(0.9, trials.stream().mapToDouble(speed).min().orElse(1) * 0.9);
    double maxY =
        Math.max(
            bar.maxTop1Drop() * 1.5,
            trials.stream().mapToDouble(Trial::top1Drop).max().orElse(0) * 1.1);
    double minY = Math.min(0, trials.stream().mapToDouble(Trial::top1Drop).min().orElse(0) * 1.1);
    if (maxY - minY < 1e-6) {
      maxY = minY + 1;
    }
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
                + " height=\"%d\" role=\"img\" aria-label=\"top-1 drop against speed-up\">",
            W,
            H,
            W,
            H));
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\""
                + " stroke=\"#d1d9e0\"/>",
            PAD,
            PAD / 2,
            W - PAD - PAD / 2,
            H - PAD - PAD / 2));
    double by = y(bar.maxTop1Drop(), minY, maxY);
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#cf222e\""
                + " stroke-dasharray=\"5 4\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#cf222e\">bar %.2f</text>",
            PAD,
            W - PAD / 2,
            by,
            by,
            PAD + 4,
            by - 4,
            bar.maxTop1Drop()));
    // The front: best drop for each speed-up, walking from the fastest trial down.
    List<Trial> front = new ArrayList<>();
    double bestDrop = Double.POSITIVE_INFINITY;
    for (Trial t : trials.stream().sorted(Comparator.comparingDouble(speed).reversed()).toList()) {
      if (t.top1Drop() < bestDrop) {
        front.add(t);
        bestDrop = t.top1Drop();
      }
    }
    StringBuilder pts = new StringBuilder();
    for (Trial t : front) {
      pts.append(
          String.format(
              Locale.ROOT,
              "%.1f,%.1f ",
              x(speed.applyAsDouble(t), minX, maxX),
              y(t.top1Drop(), minY, maxY)));
    }
    s.append("<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\"")
        .append(pts.toString().strip())
        .append("\"/>");
    for (Trial t : trials) {
      boolean win = t.index() == log.winner();
      s.append(
          String.format(
              Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"%s\""
                  + " stroke-width=\"%d\"><title>#%d %s: drop %.2f, %.2fx</title></circle>",
              x(speed.applyAsDouble(t), minX, maxX),
              y(t.top1Drop(), minY, maxY),
              win ? 7 : 4,
              t.meetsBar() ? "#1a7f37" : "#8c959f",
              win ? "#cf222e" : "#fff",
              win ? 3 : 1,
              t.index(),
              escape(t.config().label()),
              t.top1Drop(),
              speed.applyAsDouble(t)));
    }
    for (int i = 0; i <= 4; i++) {
      double xv = minX + (maxX - minX) * i / 4;
      double yv = minY + (maxY - minY) * i / 4;
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.2fx" + "</text>",
              x(xv, minX, maxX),
              H - PAD / 2 - 8,
              xv));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>",
              PAD - 4,
              y(yv, minY, maxY) + 4,
              yv));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">speed-up over"
                + " FP32 (%s)</text>",
            W / 2,
            H - 4,
            log.latency()));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"12\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 12 %d)\">top-1 drop, points</text>",
            H / 2,
            H / 2));
    return s.append("</svg>").toString();
  }

  private static double x(double v, double min, double max) {
    return PAD + (v - min) / (max - min) * (W - PAD - PAD / 2.0);
  }

  private static double y(double v, double min, double max) {
    return H - PAD - (v - min) / (max - min) * (H - PAD - PAD / 2.0 - PAD / 2.0);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
