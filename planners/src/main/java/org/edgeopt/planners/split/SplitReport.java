package org.edgeopt.planners.split;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.Version;

/** Turns a split plan into the rows of {@code split.json} and the text table the command prints. */
public final class SplitReport {
  private SplitReport() {}

  /** Returns the plan as a JSON-ready map (every figure per cut, per link, and the break-evens). */
  public static Map<String, Object> json(SplitPlan p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("producer", Version.PRODUCER + " " + Version.get());
    m.put("model", p.model());
    m.put("modelSha256", p.modelSha256());
    m.put("edge", p.request().edge().name());
    m.put("server", p.request().server().name());
    m.put("edgeTimes", p.edgeEstimate());
    m.put("serverTimes", p.serverEstimate());
    m.put("uplinkBitsPerSecond", p.request().link().uplinkBitsPerSecond());
    m.put("rttSeconds", p.request().link().rttSeconds());
    m.put("encoding", p.request().encoding().id());
    m.put(
        "cutEnumeration",
        Map.of(
            "complete",
            p.enumeration().complete(),
            "nodeSetsCounted",
            p.enumeration().nodeSets(),
            "cap",
            CutEnumerator.MAX_IDEALS,
            "cuts",
            p.costs().size(),
            "note",
            p.enumeration().describe()));
    m.put("int8Ranges", p.rangeSource());
    m.put("zstdLevel", SplitEvaluator.ZSTD_LEVEL);
    m.put(
        "zstdBytes",
        "measured means over "
            + Math.min(p.request().compressSamples(), p.checks().get(0).samples())
            + " samples; raw bytes exact at batch 1");
    m.put("fp32Top1", p.fp32Top1());
    m.put("chosen", p.chosen());
    m.put("chosenCut", p.chosenCost().cut().label());
    m.put(
        "chosenLatencySeconds",
        p.chosenCost().totalSeconds(p.request().encoding(), p.request().link()));
    List<Map<String, Object>> cuts = new ArrayList<>();
    for (int i = 0; i < p.costs().size(); i++) {
      CutCost c = p.costs().get(i);
      CutCheck k = p.checks().get(i);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("index", i);
      row.put("cut", c.cut().label());
      row.put("edgeNodes", c.cut().edgeNodes().size());
      row.put("frontier", c.cut().frontier());
      row.put("tensors", c.cut().tensors());
      row.put("elements", c.elements());
      row.put("edgeSeconds", c.edgeSeconds());
      row.put("serverSeconds", c.serverSeconds());
      row.put("linkSeconds", c.linkSeconds(p.request().encoding(), p.request().link()));
      row.put("totalSeconds", c.totalSeconds(p.request().encoding(), p.request().link()));
      row.put("edgeWeightBytes", c.edgeWeightBytes());
      row.put("bytes", c.bytes());
      row.put("samples", k.samples());
      row.put("fp32MaxAbsDiff", k.fp32MaxAbsDiff());
      row.put("int8Agreement", Double.isNaN(k.int8Agreement()) ? null : k.int8Agreement());
      row.put("int8Top1", Double.isNaN(p.int8Top1(i)) ? null : p.int8Top1(i));
      row.put("admissible", p.admissible().get(i));
      cuts.add(row);
    }
    m.put("cuts", cuts);
    List<Map<String, Object>> links = new ArrayList<>();
    p.bestPerLink()
        .forEach(
            (bw, best) -> {
              Map<String, Object> row = new LinkedHashMap<>();
              row.put("uplinkBitsPerSecond", bw);
              Map<String, Object> perEncoding = new LinkedHashMap<>();
              best.forEach(
                  (enc, i) ->
                      perEncoding.put(
                          enc,
                          Map.of(
                              "cut",
                              p.costs().get(i).cut().label(),
                              "index",
                              i,
                              "totalSeconds",
                              p.costs()
                                  .get(i)
                                  .totalSeconds(
                                      SplitPlanner.encoding(enc),
                                      new Link(bw, p.request().link().rttSeconds())))));
              row.put("best", perEncoding);
              links.add(row);
            });
    m.put("links", links);
    List<Map<String, Object>> be = new ArrayList<>();
    for (LinkSweep.BreakEven b : p.sweep().breakEvens()) {
      be.add(
          Map.of(
              "uplinkBitsPerSecond",
              b.bitsPerSecond(),
              "above",
              p.costs().get(b.faster()).cut().label(),
              "below",
              p.costs().get(b.slower()).cut().label()));
    }
    m.put("breakEvens", be);
    return m;
  }

  /** Returns the per-cut table and the per-link summary as plain text. */
  public static String text(SplitPlan p) {
    StringBuilder sb = new StringBuilder();
    Encoding e = p.request().encoding();
    Link link = p.request().link();
    sb.append(
        String.format(
            Locale.ROOT,
            "%s: %s edge (%s), %s server (%s), %.3g Mbit/s, rtt %.0f ms, %s on the wire%n",
            p.model(),
            p.request().edge().name(),
            p.edgeEstimate(),
            p.request().server().name(),
            p.serverEstimate(),
            link.megabitsPerSecond(),
            link.rttSeconds() * 1e3,
            e.id()));
    sb.append("cuts: ")
        .append(p.enumeration().complete() ? "" : "WARNING: ")
        .append(p.enumeration().describe())
        .append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "%4s %-40s %10s %10s %10s %10s %10s %10s %9s %9s%n",
            "#",
            "cut",
            "fp32 B",
            "int8+zstd",
            "edge ms",
            "link ms",
            "server ms",
            "total ms",
            "|diff|",
            "int8 agr"));
    for (int i = 0; i < p.costs().size(); i++) {
      CutCost c = p.costs().get(i);
      CutCheck k = p.checks().get(i);
      sb.append(
          String.format(
              Locale.ROOT,
              "%4d %-40s %10.0f %10s %10.3f %10.3f %10.3f %10.3f %9.2g %9s%s%n",
              i,
              abbreviate(c.cut().label(), 40),
              c.bytes(new Encoding(WireFormat.FP32, false)),
              fmt(c.bytes(new Encoding(WireFormat.INT8, true))),
              c.edgeSeconds() * 1e3,
              c.linkSeconds(e, link) * 1e3,
              c.serverSeconds() * 1e3,
              c.totalSeconds(e, link) * 1e3,
              k.fp32MaxAbsDiff(),
              Double.isNaN(k.int8Agreement())
                  ? "-"
                  : String.format(Locale.ROOT, "%.2f%%", 100 * k.int8Agreement()),
              i == p.chosen() ? "  <- chosen" : p.admissible().get(i) ? "" : "  (not admissible)"));
    }
    sb.append("best cut per uplink (modelled latency):\n");
    p.bestPerLink()
        .forEach(
            (bw, best) -> {
              sb.append(String.format(Locale.ROOT, "  %8.3g Mbit/s:", bw / 1e6));
              best.forEach((enc, i) -> sb.append(" ").append(enc).append("=#").append(i));
              sb.append('\n');
            });
    if (p.sweep().breakEvens().isEmpty()) {
      sb.append("break-even bandwidths (")
          .append(e.id())
          .append("): none, ")
          .append(p.costs().get(p.sweep().segments().get(0)).cut().label())
          .append(" is best at every bandwidth\n");
    }
    for (LinkSweep.BreakEven b : p.sweep().breakEvens()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "break-even at %.4g Mbit/s (%s): above it #%d %s, below it #%d %s%n",
              b.bitsPerSecond() / 1e6,
              e.id(),
              b.faster(),
              p.costs().get(b.faster()).cut().label(),
              b.slower(),
              p.costs().get(b.slower()).cut().label()));
    }
    return sb.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static String abbreviate(String s, int n) {
    return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3);
  }
}
