package org.edgeopt.planners.cascade;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.Version;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.report.Templates;

/**
 * Writes {@code cascade.json} (the threshold a bundle or a monitor applies, with its evidence) and
 * {@code cascade.html} (the accuracy/escalation curves) together, atomically.
 */
public final class CascadeArtifacts {
  /** The file a deployment reads. */
  public static final String JSON_FILE = "cascade.json";

  /** The page with the curves. */
  public static final String PAGE_FILE = "cascade.html";

  /** The version of the JSON format. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CascadeArtifacts() {}

  /** Writes both files into {@code dir}; {@code small} and {@code large} describe the models (file, SHA-256). */
  public static List<Path> write(
      CascadePlan plan, Map<String, String> small, Map<String, String> large, Path dir)
      throws IOException {
    try (AtomicFiles.Staging st = AtomicFiles.stage(dir)) {
      Files.writeString(
          st.file(JSON_FILE),
          JSON.writeValueAsString(json(plan, small, large)) + "\n",
          StandardCharsets.UTF_8);
      Files.writeString(st.file(PAGE_FILE), page(plan), StandardCharsets.UTF_8);
      return st.commit();
    }
  }

  /** Returns the contents of {@code cascade.json}. */
  public static Map<String, Object> json(
      CascadePlan p, Map<String, String> small, Map<String, String> large) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("formatVersion", FORMAT_VERSION);
    m.put("producer", Version.PRODUCER + " " + Version.get());
    m.put("small", small);
    m.put("large", large);
    m.put("feasible", p.feasible());
    m.put("constraint", p.constraint().describe());
    if (p.feasible()) {
      CascadePoint c = p.chosen();
      m.put("signal", p.signal().id());
      m.put("threshold", c.threshold());
      m.put(
          "rule",
          "answer with the small model when its "
              + p.signal().id()
              + " >= threshold, else escalate to the large model");
      m.put("holdout", point(c, p));
    }
    m.put("smallOnlyTop1", interval(p.smallAccuracy()));
    m.put("largeOnlyTop1", interval(p.largeAccuracy()));
    m.put(
        "latencySeconds",
        Map.of("small", p.smallSeconds(), "large", p.largeSeconds(), "source", p.costSource()));
    List<Map<String, Object>> signals = new ArrayList<>();
    for (CascadeCurve curve : p.curves()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("signal", curve.signal().id());
      s.put("area", curve.area());
      int pick = p.choices().get(curve.signal());
      s.put("chosen", pick < 0 ? null : point(curve.points().get(pick), p));
      signals.add(s);
    }
    m.put("signals", signals);
    return m;
  }

  private static Map<String, Object> point(CascadePoint c, CascadePlan p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("samples", p.samples());
    m.put("threshold", c.threshold());
    m.put("top1", interval(c.accuracy()));
    m.put("escalationRate", interval(c.escalation()));
    m.put("expectedSeconds", c.expectedSeconds());
    Map<String, Object> recall = new LinkedHashMap<>();
    for (int i = 0; i < c.recall().size(); i++) {
      recall.put(
          i < p.classNames().size() ? p.classNames().get(i) : String.valueOf(i),
          interval(c.recall().get(i)));
    }
    m.put("recall", recall);
    return m;
  }

  private static Map<String, Object> interval(Interval i) {
    return Map.of(
        "estimate",
        i.estimate(),
        "lower",
        i.lower(),
        "upper",
        i.upper(),
        "count",
        i.successes(),
        "of",
        i.trials());
  }

  /** Returns the page: summary, per-signal choices and the accuracy/escalation curves. */
  public static String page(CascadePlan p) {
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("feasible", p.feasible());
    ctx.put("constraint", p.constraint().describe());
    ctx.put("summary", summary(p));
    ctx.put("chart", chart(p));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CascadeCurve c : p.curves()) {
      int pick = p.choices().get(c.signal());
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("signal", c.signal().id());
      r.put("area", String.format(Locale.ROOT, "%.4f", c.area()));
      r.put(
          "choice",
          pick < 0 ? "no threshold meets the constraint" : describe(c.points().get(pick)));
      r.put("best", c.signal() == p.signal());
      rows.add(r);
    }
    ctx.put("rows", rows);
    return Templates.render(CascadeArtifacts.class, "/org/edgeopt/planners/cascade.mustache", ctx);
  }

  /** Returns the chosen threshold in one paragraph, or why there is none. */
  public static String summary(CascadePlan p) {
    String base =
        String.format(
            Locale.ROOT,
            "%d holdout samples; small alone %.2f%%, large alone %.2f%%; latency small %.3f ms, "
                + "large %.3f ms (%s). ",
            p.samples(),
            100 * p.smallAccuracy().estimate(),
            100 * p.largeAccuracy().estimate(),
            p.smallSeconds() * 1e3,
            p.largeSeconds() * 1e3,
            p.costSource());
    if (!p.feasible()) {
      return base + "No threshold of any signal meets " + p.constraint().describe() + ".";
    }
    return base
        + "Chosen: "
        + p.signal().id()
        + " >= "
        + String.format(Locale.ROOT, "%.6g", p.chosen().threshold())
        + ": "
        + describe(p.chosen())
        + ".";
  }

  private static String describe(CascadePoint c) {
    return String.format(
        Locale.ROOT,
        "top-1 %.2f%% [%.2f, %.2f], escalation %.2f%% [%.2f, %.2f], expected %.3f ms",
        100 * c.accuracy().estimate(),
        100 * c.accuracy().lower(),
        100 * c.accuracy().upper(),
        100 * c.escalation().estimate(),
        100 * c.escalation().lower(),
        100 * c.escalation().upper(),
        c.expectedSeconds() * 1e3);
  }

  /** Returns an SVG of accuracy (y) against escalation rate (x), one line per signal, the choice marked. */
  static String chart(CascadePlan p) {
    int w = 640;
    int h = 360;
    int left = 60;
    int bottom = 40;
    double lo = Math.min(p.smallAccuracy().estimate(), p.largeAccuracy().estimate());
    double hi = 1.0;
    for (CascadeCurve c : p.curves()) {
      for (CascadePoint q : c.points()) {
        lo = Math.min(lo, q.accuracy().estimate());
      }
    }
    lo = Math.max(0, lo - 0.01);
    double plotW = w - left - 20;
    double plotH = h - bottom - 20;
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                    + "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"accuracy against escalation rate\">",
                w,
                h,
                w,
                h));
    for (int t = 0; t <= 4; t++) {
      double y = 20 + plotH * (1 - t / 4.0);
      double x = left + plotW * t / 4.0;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.1f%%</text>"
                  + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d%%</text>",
              left,
              y,
              w - 20,
              y,
              left - 4,
              y + 3,
              100 * (lo + (hi - lo) * t / 4),
              x,
              h - bottom + 14,
              t * 25));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">escalation rate</text>",
            left + 200,
            h - 8));
    String[] colours = {"#4e79a7", "#f28e2b", "#59a14f"};
    for (CascadeCurve c : p.curves()) {
      StringBuilder pts = new StringBuilder();
      for (CascadePoint q : c.points()) {
        pts.append(
            String.format(
                Locale.ROOT,
                "%.1f,%.1f ",
                left + plotW * q.escalation().estimate(),
                20 + plotH * (1 - (q.accuracy().estimate() - lo) / (hi - lo))));
      }
      String colour = colours[c.signal().ordinal()];
      s.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>",
              colour,
              pts.toString().trim()));
      int pick = p.choices().get(c.signal());
      if (pick >= 0) {
        CascadePoint q = c.points().get(pick);
        s.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>%s: %s</title></circle>",
                left + plotW * q.escalation().estimate(),
                20 + plotH * (1 - (q.accuracy().estimate() - lo) / (hi - lo)),
                c.signal() == p.signal() ? 6 : 3,
                colour,
                c.signal().id(),
                describe(q)));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
              w - 130,
              30 + 16 * c.signal().ordinal(),
              colour,
              w - 115,
              39 + 16 * c.signal().ordinal(),
              c.signal().id()));
    }
    return s.append("</svg>").toString();
  }
}
