package org.edgeopt.planners.split;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.report.Templates;

/** Renders the split plan as one self-contained HTML page with a stacked latency-per-cut chart. */
public final class SplitPage {
  private static final int WIDTH = 960;
  private static final int HEIGHT = 320;
  private static final int LEFT = 60;
  private static final int BOTTOM = 30;

  private SplitPage() {}

  /** Returns the page, with {@code check} the verification of the written parts (null if none). */
  public static String render(SplitPlan p, PartsCheck check) {
    Map<String, Object> ctx = new LinkedHashMap<>();
    Encoding e = p.request().encoding();
    Link link = p.request().link();
    ctx.put("model", p.model());
    ctx.put(
        "summary",
        String.format(
            Locale.ROOT,
            "%s edge, %s server, %.3g Mbit/s uplink, %.0f ms round trip, %s on the wire",
            p.request().edge().name(),
            p.request().server().name(),
            link.megabitsPerSecond(),
            link.rttSeconds() * 1e3,
            e.id()));
    ctx.put("chosen", p.chosenCost().cut().label());
    ctx.put("chosenMs", ms(p.chosenCost().totalSeconds(e, link)));
    ctx.put("edgeEstimate", p.edgeEstimate());
    ctx.put("serverEstimate", p.serverEstimate());
    ctx.put("rangeSource", p.rangeSource());
    ctx.put("cutEnumeration", p.enumeration().describe());
    ctx.put("cutsComplete", p.enumeration().complete());
    ctx.put("verified", check != null && check.passed());
    ctx.put(
        "verification",
        check == null
            ? "not run"
            : String.format(
                Locale.ROOT,
                "%d samples, max |diff| %.3g, top-1 agreement %.2f%% (%s)",
                check.samples(),
                check.maxAbsDiff(),
                100 * check.agreement(),
                check.criterion()));
    ctx.put("chart", chart(p));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < p.costs().size(); i++) {
      CutCost c = p.costs().get(i);
      CutCheck k = p.checks().get(i);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("index", i);
      r.put("cut", c.cut().label());
      r.put("tensors", String.join(", ", c.cut().tensors()));
      r.put(
          "fp32",
          String.format(Locale.ROOT, "%.0f", c.bytes(new Encoding(WireFormat.FP32, false))));
      r.put("int8zstd", bytes(c.bytes(new Encoding(WireFormat.INT8, true))));
      r.put("edge", ms(c.edgeSeconds()));
      r.put("link", ms(c.linkSeconds(e, link)));
      r.put("server", ms(c.serverSeconds()));
      r.put("total", ms(c.totalSeconds(e, link)));
      r.put("diff", String.format(Locale.ROOT, "%.2g", k.fp32MaxAbsDiff()));
      r.put(
          "agreement",
          Double.isNaN(k.int8Agreement())
              ? "-"
              : String.format(Locale.ROOT, "%.2f%%", 100 * k.int8Agreement()));
      r.put("chosen", i == p.chosen());
      r.put("excluded", !p.admissible().get(i));
      rows.add(r);
    }
    ctx.put("rows", rows);
    List<Map<String, Object>> links = new ArrayList<>();
    p.bestPerLink()
        .forEach(
            (bw, best) -> {
              List<String> parts = new ArrayList<>();
              best.forEach(
                  (enc, i) -> parts.add(enc + ": #" + i + " " + p.costs().get(i).cut().label()));
              links.add(
                  Map.of(
                      "mbit",
                      String.format(Locale.ROOT, "%.3g", bw / 1e6),
                      "best",
                      String.join("; ", parts)));
            });
    ctx.put("links", links);
    List<Map<String, Object>> be = new ArrayList<>();
    for (LinkSweep.BreakEven b : p.sweep().breakEvens()) {
      be.add(
          Map.of(
              "mbit",
              String.format(Locale.ROOT, "%.4g", b.bitsPerSecond() / 1e6),
              "above",
              "#" + b.faster() + " " + p.costs().get(b.faster()).cut().label(),
              "below",
              "#" + b.slower() + " " + p.costs().get(b.slower()).cut().label()));
    }
    ctx.put("breakEvens", be);
    ctx.put("noBreakEven", be.isEmpty());
    return Templates.render(SplitPage.class, "/org/edgeopt/planners/split.mustache", ctx);
  }

  /** Returns an SVG bar per cut, stacked edge / link / server, the chosen cut outlined. */
  static String chart(SplitPlan p) {
    Encoding e = p.request().encoding();
    Link link = p.request().link();
    int n = p.costs().size();
    double max = 0;
    for (CutCost c : p.costs()) {
      max = Math.max(max, c.totalSeconds(e, link));
    }
    max = max > 0 ? max : 1;
    double plotW = WIDTH - LEFT - 10;
    double plotH = HEIGHT - BOTTOM - 10;
    double bw = plotW / n;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"modelled latency per cut\">",
            WIDTH,
            HEIGHT + 20,
            WIDTH,
            HEIGHT + 20));
    for (int t = 0; t <= 4; t++) {
      double y = 10 + plotH * (1 - t / 4.0);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g ms</text>",
              LEFT,
              y,
              WIDTH - 10,
              y,
              LEFT - 4,
              y + 3,
              max * t / 4 * 1e3));
    }
    String[] colours = {"#4e79a7", "#f28e2b", "#59a14f"};
    for (int i = 0; i < n; i++) {
      CutCost c = p.costs().get(i);
      double[] parts = {c.edgeSeconds(), c.linkSeconds(e, link), c.serverSeconds()};
      double y = 10 + plotH;
      double x = LEFT + i * bw;
      for (int k = 0; k < 3; k++) {
        double h = parts[k] / max * plotH;
        y -= h;
        s.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    + "<title>#%d %s: %s %.3f ms</title></rect>",
                x + 0.5,
                y,
                Math.max(0.5, bw - 1),
                h,
                colours[k],
                i,
                escape(c.cut().label()),
                new String[] {"edge", "link", "server"}[k],
                parts[k] * 1e3));
      }
      if (i == p.chosen()) {
        s.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                    + "stroke=\"#000\" stroke-width=\"2\"/>",
                x,
                y,
                bw,
                10 + plotH - y));
      }
      if (n <= 40 || i % Math.max(1, n / 20) == 0) {
        s.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%d</text>",
                x + bw / 2,
                10 + plotH + 12,
                i));
      }
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">cut # (as listed: by edge node count)</text>",
            LEFT,
            HEIGHT + 4));
    int lx = WIDTH - 260;
    String[] names = {"edge (modelled)", "link", "server (modelled)"};
    for (int k = 0; k < 3; k++) {
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
              lx + k * 90,
              HEIGHT + 8,
              colours[k],
              lx + k * 90 + 14,
              HEIGHT + 17,
              names[k]));
    }
    return s.append("</svg>").toString();
  }

  private static String ms(double s) {
    return String.format(Locale.ROOT, "%.3f", s * 1e3);
  }

  private static String bytes(double b) {
    return Double.isNaN(b) ? "-" : String.format(Locale.ROOT, "%.0f", b);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
