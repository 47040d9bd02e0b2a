package org.edgeopt.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.report.Templates;

/**
 * Writes a {@link MonitorReport} into a folder: {@value #JSON} (every figure), {@value #HTML}
 * (the trend per window and the devices that drifted first) and {@value #JUNIT} (one test case
 * per scope, failed when it alerted), all appearing together.
 */
public final class MonitorReportWriter {
  /** The machine-readable report. */
  public static final String JSON = "report.json";

  /** The self-contained page. */
  public static final String HTML = "report.html";

  /** The JUnit XML for CI. */
  public static final String JUNIT = "junit.xml";

  /** The most alerts listed on the page; report.json has them all. */
  static final int PAGE_ALERTS = 200;

  private MonitorReportWriter() {}

  /**
   * Writes the three files into {@code dir}.
   *
   * @return the files, JSON first
   */
  public static List<Path> write(MonitorReport report, Path dir) throws EdgeoptException {
    try (AtomicFiles.Staging staging = AtomicFiles.stage(dir)) {
      Files.write(staging.file(JSON), StableJson.bytes(report));
      Files.writeString(staging.file(HTML), html(report), StandardCharsets.UTF_8);
      Files.writeString(staging.file(JUNIT), junit(report), StandardCharsets.UTF_8);
      staging.commit();
      return List.of(dir.resolve(JSON), dir.resolve(HTML), dir.resolve(JUNIT));
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          dir + ": cannot write the monitoring report: " + e.getMessage(), e);
    }
  }

  /** Returns the page. */
  static String html(MonitorReport r) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("model", r.model());
    c.put("verdict", r.verdict());
    c.put("verdictClass", r.alerted() ? "fail" : "pass");
    c.put("records", r.records());
    c.put("devices", r.devices());
    c.put("windowCount", r.fleet().size());
    c.put("windowMinutes", r.windowMinutes());
    c.put("alertCount", r.alerts().size());
    c.put("skipped", r.skipped() > 0 ? r.skipped() : null);
    c.put("baselineMean", f3(r.baselineMeanConfidence()));
    c.put("trend", trend(r));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (MonitorReport.WindowFigures w : r.fleet()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("window", w.window());
      m.put("alerting", w.alerts() > 0);
      m.put("records", w.records());
      m.put("mean", f3(w.meanConfidence()));
      m.put("psi", f3(w.psi()));
      m.put("ksP", String.format(Locale.ROOT, "%.2g", w.ksP()));
      m.put("tv", f3(w.classMixDistance()));
      m.put("p50", f2(w.p50Ms()));
      m.put("p95", f2(w.p95Ms()));
      m.put("p99", f2(w.p99Ms()));
      m.put("fail", f2(100 * w.failureRate()));
      m.put(
          "accuracy",
          w.labelled() == 0
              ? "no labels"
              : String.format(
                  Locale.ROOT,
                  "%.1f%% (%.1f..%.1f, n=%d)",
                  100 * w.accuracy(),
                  100 * w.accuracyLow(),
                  100 * w.accuracyHigh(),
                  w.labelled()));
      m.put("alerts", w.alerts());
      rows.add(m);
    }
    c.put("fleet", rows);
    List<Map<String, Object>> drift = new ArrayList<>();
    for (MonitorReport.DeviceDrift d : r.firstDrift()) {
      drift.add(
          Map.of(
              "device",
              d.device(),
              "window",
              d.window(),
              "checkList",
              String.join(", ", d.checks())));
    }
    c.put("firstDrift", drift);
    c.put("hasDrift", !drift.isEmpty());
    c.put("alerts", r.alerts().subList(0, Math.min(PAGE_ALERTS, r.alerts().size())));
    c.put("moreAlerts", r.alerts().size() > PAGE_ALERTS ? r.alerts().size() - PAGE_ALERTS : null);
    List<Map<String, Object>> queue = new ArrayList<>();
    for (UncertainQueue.Entry e : r.uncertain()) {
      queue.add(
          Map.of(
              "sampleId",
              e.sampleId(),
              "device",
              e.device(),
              "predicted",
              e.predicted(),
              "confidence",
              f3(e.confidence()),
              "uncertainty",
              f3(e.uncertainty())));
    }
    MonitorReport.Escalation e = r.escalation();
    c.put(
        "escalation",
        e == null
            ? null
            : String.format(
                Locale.ROOT,
                "%.2f%% of %d logged predictions escalated to the large model (95%% CI %.2f%% to %.2f%%)",
                100 * e.rate(),
                e.logged(),
                100 * e.lower(),
                100 * e.upper()));
    c.put("uncertain", queue);
    c.put("hasUncertain", !queue.isEmpty());
    return Templates.render(MonitorReportWriter.class, "/org/edgeopt/deploy/monitor.mustache", c);
  }

  /** Returns an SVG line of the fleet's mean confidence per window against the baseline. */
  private static String trend(MonitorReport r) {
    int w = 900;
    int h = 160;
    int n = r.fleet().size();
    double lo = r.baselineMeanConfidence();
    for (MonitorReport.WindowFigures f : r.fleet()) {
      lo = Double.isNaN(f.meanConfidence()) ? lo : Math.min(lo, f.meanConfidence());
    }
    lo = Math.max(0, Math.floor((lo - 0.02) * 20) / 20);
    double range = Math.max(1e-6, 1 - lo);
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\">",
                w,
                h));
    double by = h - 20 - (r.baselineMeanConfidence() - lo) / range * (h - 40);
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"40\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#59636e\" stroke-dasharray=\"4 4\"/>",
            w - 10,
            by,
            by));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"2\" y=\"%d\" font-size=\"11\">%.2f</text><text x=\"2\" y=\"24\" font-size=\"11\">1.00</text>",
            h - 20,
            lo));
    StringBuilder line = new StringBuilder();
    StringBuilder dots = new StringBuilder();
    for (int i = 0; i < n; i++) {
      MonitorReport.WindowFigures f = r.fleet().get(i);
      if (Double.isNaN(f.meanConfidence())) {
        continue;
      }
      double x = 40 + (n == 1 ? 0.5 : (double) i / (n - 1)) * (w - 60);
      double y = h - 20 - (f.meanConfidence() - lo) / range * (h - 40);
      line.append(line.length() == 0 ? "M" : "L")
          .append(String.format(Locale.ROOT, "%.1f %.1f ", x, y));
      dots.append(
          String.format(
              Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s: %.3f</title></circle>",
              x,
              y,
              f.alerts() > 0 ? "#cf222e" : "#1a7f37",
              f.window(),
              f.meanConfidence()));
    }
    s.append("<path d=\"")
        .append(line)
        .append("\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>")
        .append(dots);
    return s.append("</svg>").toString();
  }

  /** Returns the JUnit XML: one test case for the fleet and one per device, failed when it alerted. */
  static String junit(MonitorReport r) {
    Map<String, List<MonitorReport.Alert>> byScope = new TreeMap<>();
    byScope.put(Monitor.FLEET, new ArrayList<>());
    for (MonitorReport.DeviceDrift d : r.firstDrift()) {
      byScope.put(d.device(), new ArrayList<>());
    }
    for (MonitorReport.Alert a : r.alerts()) {
      byScope.computeIfAbsent(a.scope(), k -> new ArrayList<>()).add(a);
    }
    long failures = byScope.values().stream().filter(l -> !l.isEmpty()).count();
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.append("<testsuite name=\"edgeopt.monitor\" tests=\"")
        .append(byScope.size())
        .append("\" failures=\"")
        .append(failures)
        .append("\" errors=\"0\" skipped=\"0\">\n");
    x.append("  <properties><property name=\"model\" value=\"")
        .append(xml(r.model()))
        .append("\"/>")
        .append("<property name=\"records\" value=\"")
        .append(r.records())
        .append("\"/>")
        .append("<property name=\"devices\" value=\"")
        .append(r.devices())
        .append("\"/></properties>\n");
    for (Map.Entry<String, List<MonitorReport.Alert>> e : byScope.entrySet()) {
      x.append("  <testcase classname=\"edgeopt.monitor\" name=\"")
          .append(xml(e.getKey()))
          .append("\" time=\"0\"");
      if (e.getValue().isEmpty()) {
        x.append("/>\n");
        continue;
      }
      MonitorReport.Alert first = e.getValue().get(0);
      x.append(">\n    <failure type=\"edgeopt.DriftAlert\" message=\"")
          .append(xml(first.message()))
          .append("\">");
      for (MonitorReport.Alert a : e.getValue()) {
        x.append(xml(a.check() + ": " + a.message())).append('\n');
      }
      x.append("</failure>\n  </testcase>\n");
    }
    return x.append("</testsuite>\n").toString();
  }

  static String xml(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        default -> b.append(ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : ch);
      }
    }
    return b.toString();
  }

  private static String f3(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String f2(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }
}
