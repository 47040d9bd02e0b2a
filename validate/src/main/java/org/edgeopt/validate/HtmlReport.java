package org.edgeopt.validate;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the report as one self-contained HTML page: inline CSS and SVG, no script and no
 * network, verdict at the top. The markup is well-formed XML (polyglot XHTML) so that tests can
 * parse it strictly.
 */
final class HtmlReport {
  private static final int MAX_CHART_LAYERS = 40;
  private static final int MAX_CLASSES = 50;

  private HtmlReport() {}

  static String render(ValidationReport r) {
    StringBuilder h = new StringBuilder(64 * 1024);
    boolean pass = r.passed();
    h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
        .append("<title>").append(esc(r.gate().verdict() + ": " + file(r.candidate().path()) + " vs " + file(r.reference().path())))
        .append(" | edgeopt validate</title>\n<style>").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");

    h.append("<header class=\"verdict ").append(pass ? "pass" : "fail").append("\" id=\"verdict\" data-verdict=\"")
        .append(r.gate().verdict()).append("\">\n<div class=\"badge\">").append(r.gate().verdict()).append("</div>\n<div>\n")
        .append("<h1>").append(esc(file(r.candidate().path()))).append(" <span class=\"vs\">vs</span> ")
        .append(esc(file(r.reference().path()))).append("</h1>\n<p class=\"sub\">")
        .append(esc(String.format(Locale.ROOT, "%d holdout samples, %s, edgeopt %s, %s", r.holdout().samples(), r.task(),
            r.provenance().version(), r.provenance().createdAt())))
        .append("</p>\n");
    if (pass) {
      h.append("<p class=\"reason\">All ").append(r.gate().checks().size()).append(" threshold")
          .append(r.gate().checks().size() == 1 ? " was" : "s were").append(" met.</p>\n");
    } else {
      h.append("<ul class=\"reasons\">\n");
      r.gate().reasons().forEach(reason -> h.append("<li>").append(esc(reason)).append("</li>\n"));
      h.append("</ul>\n");
    }
    h.append("</div>\n</header>\n");
    if (r.arithmetic().targetMismatch()) {
      h.append("<p class=\"mismatch\" id=\"target-mismatch\"><strong>Host/target mismatch:</strong> ")
          .append(esc(r.arithmetic().mismatch())).append("</p>\n");
    }

    cards(h, r);
    gate(h, r);
    accuracy(h, r);
    perClass(h, r);
    layers(h, r);
    if (r.confidence() != null) {
      h.append("<section id=\"confidence\">\n<h2>Confidence</h2>\n<p class=\"note\">")
          .append(esc(String.format(Locale.ROOT, "Largest class probability per sample (%s), %d bins. Mean %.4f to %.4f, "
              + "a shift of %+.4f; a falling mean is the usual sign of domain shift or a damaged model.",
              r.confidence().source().equals("output") ? "the model's own probabilities" : "softmax of the logits",
              r.confidence().bins(), r.confidence().reference().mean(), r.confidence().candidate().mean(),
              r.confidence().meanShift())))
          .append("</p>\n").append(SvgCharts.confidence(r.confidence())).append("\n</section>\n");
    }
    latency(h, r);
    arithmetic(h, r);
    provenance(h, r);
    h.append("</main>\n</body>\n</html>\n");
    return h.toString();
  }

  private static void cards(StringBuilder h, ValidationReport r) {
    // Each card shows the candidate's figure large and the reference's beside the change below it.
    h.append("<section class=\"cards\">\n");
    ValidationReport.Classification c = r.classification();
    if (c != null) {
      card(h, "Top-1", pct(c.candidateTop1()), "reference " + pct(c.referenceTop1()) + ", " + signed(-c.top1DropPoints())
          + " points", c.top1DropPoints() > 0 ? "bad" : "good");
      card(h, "Agreement", pct(c.agreementPercent()), c.agreeing() + " of " + c.samples() + " samples", "");
    }
    card(h, "Output SQNR", f("%.1f dB", r.outputs().sqnrDb()), f("cosine %.5f", r.outputs().cosine()), "");
    if (r.confidence() != null) {
      card(h, "Confidence", f("%.3f", r.confidence().candidate().mean()), f("reference %.3f, shift %+.4f",
          r.confidence().reference().mean(), r.confidence().meanShift()), r.confidence().meanShift() < -0.01 ? "bad" : "");
    }
    if (r.latency() != null) {
      card(h, "p95 latency", f("%.3f ms", r.latency().candidate().p95Ms()), f("reference %.3f ms, %.2f× at p50",
          r.latency().reference().p95Ms(), r.latency().speedup()), r.latency().speedup() >= 1 ? "good" : "");
    }
    if (r.diagnosis().excludeFirst() != null) {
      double db = r.diagnosis().layers().get(0).addedSqnrDb();
      boolean weak = db < LayerDiagnosis.HEALTHY_SQNR_DB;
      card(h, weak ? "Exclude first" : "Weakest layer", abbreviate(r.diagnosis().excludeFirst(), 15),
          f("%.1f dB on its own", db), weak ? "bad" : "");
    }
    h.append("</section>\n");
  }

  private static void card(StringBuilder h, String title, String value, String note, String tone) {
    h.append("<div class=\"card ").append(tone).append("\"><div class=\"ct\">").append(esc(title))
        .append("</div><div class=\"cv\">").append(esc(value)).append("</div><div class=\"cn\">").append(esc(note))
        .append("</div></div>\n");
  }

  private static void gate(StringBuilder h, ValidationReport r) {
    h.append("<section id=\"gate\">\n<h2>Gate</h2>\n<table>\n<thead><tr><th>check</th><th>measured</th><th>limit</th>"
        + "<th>result</th></tr></thead>\n<tbody>\n");
    for (ValidationReport.GateCheck c : r.gate().checks()) {
      String unit = c.unit().isEmpty() ? "" : " " + c.unit();
      h.append("<tr><td>").append(esc(c.description())).append("</td><td class=\"num\">").append(esc(num(c.actual()) + unit))
          .append("</td><td class=\"num\">").append(esc((c.name().equals("agreement") ? "≥ " : "≤ ") + num(c.limit()) + unit))
          .append("</td><td class=\"").append(c.passed() ? "ok\">pass" : "bad\">FAIL").append("</td></tr>\n");
    }
    h.append("</tbody>\n</table>\n</section>\n");
  }

  private static void accuracy(StringBuilder h, ValidationReport r) {
    h.append("<section id=\"accuracy\">\n<h2>Accuracy</h2>\n<table>\n<thead><tr><th>figure</th><th>reference</th>"
        + "<th>candidate</th><th>change</th></tr></thead>\n<tbody>\n");
    ValidationReport.Classification c = r.classification();
    if (c != null) {
      row(h, "top-1 accuracy", pct(c.referenceTop1()), pct(c.candidateTop1()), signed(-c.top1DropPoints()) + " points");
      row(h, "top-" + c.topK() + " accuracy", pct(c.referenceTopK()), pct(c.candidateTopK()),
          signed(c.candidateTopK() - c.referenceTopK()) + " points");
      row(h, "correct (top-1)", Integer.toString(c.referenceCorrect()), Integer.toString(c.candidateCorrect()),
          signed(c.candidateCorrect() - c.referenceCorrect()));
      row(h, "agreement with the reference", "", pct(c.agreementPercent()), c.agreeing() + " of " + c.samples());
    }
    if (r.confidence() != null) {
      row(h, "mean confidence", f("%.4f", r.confidence().reference().mean()), f("%.4f", r.confidence().candidate().mean()),
          f("%+.4f", r.confidence().meanShift()));
    }
    ValidationReport.OutputComparison o = r.outputs();
    row(h, "output cosine similarity", "", f("%.6f", o.cosine()), "");
    row(h, "output SQNR", "", f("%.2f dB", o.sqnrDb()), "");
    row(h, "max / mean |output error|", "", f("%.4g / %.4g", o.maxAbsError(), o.meanAbsError()),
        o.tolerance() == null ? "" : o.elementsOverTolerance() + " over tolerance " + f("%.4g", o.tolerance()));
    h.append("</tbody>\n</table>\n</section>\n");
  }

  private static void perClass(StringBuilder h, ValidationReport r) {
    ValidationReport.Classification c = r.classification();
    if (c == null) {
      return;
    }
    h.append("<section id=\"classes\">\n<h2>Per class</h2>\n");
    List<ValidationReport.ClassAccuracy> shown = c.perClass();
    if (shown.size() > MAX_CLASSES) {
      // A thousand ImageNet rows would bury the page: show the classes that lost most.
      shown = shown.stream().sorted(java.util.Comparator.comparingDouble(ValidationReport.ClassAccuracy::dropPoints).reversed())
          .limit(MAX_CLASSES).toList();
      h.append("<p class=\"note\">The ").append(MAX_CLASSES).append(" of ").append(c.perClass().size())
          .append(" classes with the largest drop; report.json lists all.</p>\n");
    }
    h.append("<table>\n<thead><tr><th>class</th><th>samples</th>"
        + "<th>reference top-1</th><th>candidate top-1</th><th>drop (points)</th><th></th></tr></thead>\n<tbody>\n");
    for (ValidationReport.ClassAccuracy a : shown) {
      double w = Math.min(100, Math.abs(a.dropPoints()) * 10);
      h.append("<tr><td>").append(esc(a.name())).append("</td><td class=\"num\">").append(a.samples())
          .append("</td><td class=\"num\">").append(pct(a.referenceTop1())).append("</td><td class=\"num\">")
          .append(pct(a.candidateTop1())).append("</td><td class=\"num ").append(a.dropPoints() > 0 ? "bad" : "")
          .append("\">").append(f("%.2f", a.dropPoints())).append("</td><td class=\"spark\"><span class=\"")
          .append(a.dropPoints() > 0 ? "loss" : "gain").append("\" style=\"width:").append(f("%.0f", w))
          .append("%\"></span></td></tr>\n");
    }
    h.append("</tbody>\n</table>\n</section>\n");
  }

  private static void layers(StringBuilder h, ValidationReport r) {
    LayerDiagnosis d = r.diagnosis();
    h.append("<section id=\"layers\">\n<h2>Per-layer diagnosis</h2>\n");
    if (!d.ran()) {
      h.append("<p class=\"note\">").append(esc(d.advice())).append("</p>\n</section>\n");
      return;
    }
    h.append("<p class=\"advice\">").append(esc(d.advice())).append("</p>\n<p class=\"note\">")
        .append(esc(d.samples() + " holdout samples, graph optimizations off; " + d.reason()
            + ". SQNR = 10·log10(Σref² / Σ(ref − candidate)²); higher is better."))
        .append("</p>\n");
    List<LayerDiagnosis.LayerError> reduced = d.layers().stream().filter(LayerDiagnosis.LayerError::reducedPrecision)
        .limit(MAX_CHART_LAYERS).toList();
    if (!reduced.isEmpty()) {
      h.append("<h3>Error each layer adds, worst first</h3>\n").append(SvgCharts.layerBars(reduced)).append('\n');
    }
    h.append("<h3>Where error accumulates</h3>\n").append(SvgCharts.accumulation(d.layers(), d.excludeFirst())).append('\n');
    h.append("<details open=\"open\"><summary>All ").append(d.layers().size()).append(" matched layers</summary>\n<table>\n")
        .append("<thead><tr><th>#</th><th>layer</th><th>op</th><th>reference tensor</th><th>matched by</th>"
            + "<th>added SQNR (dB)</th><th>SQNR (dB)</th><th>input SQNR (dB)</th><th>cosine</th><th>max |error|</th></tr></thead>\n<tbody>\n");
    for (LayerDiagnosis.LayerError e : d.layers()) {
      h.append("<tr").append(e.reducedPrecision() ? "" : " class=\"float\"").append("><td class=\"num\">").append(e.rank())
          .append("</td><td>").append(esc(e.node())).append("</td><td>").append(esc(e.opType())).append("</td><td>")
          .append(esc(e.referenceTensor())).append("</td><td>").append(esc(e.matchedBy())).append("</td><td class=\"num\">")
          .append("<span class=\"dot\" style=\"background:").append(SvgCharts.severity(e.addedSqnrDb())).append("\"></span>")
          .append(db(e.addedSqnrDb())).append(e.addedBy().equals("estimated") ? "*" : "").append("</td><td class=\"num\">")
          .append(db(e.sqnrDb())).append("</td><td class=\"num\">").append(db(e.inputSqnrDb())).append("</td><td class=\"num\">")
          .append(f("%.5f", e.cosine())).append("</td><td class=\"num\">").append(f("%.3g", e.maxAbsError())).append("</td></tr>\n");
    }
    h.append("</tbody>\n</table>\n<p class=\"note\">* estimated from the SQNR before and after the layer. Grey rows run in full "
        + "precision.</p>\n</details>\n</section>\n");
  }

  private static void latency(StringBuilder h, ValidationReport r) {
    ValidationReport.Latency l = r.latency();
    if (l == null) {
      return;
    }
    h.append("<section id=\"latency\">\n<h2>Latency</h2>\n<p class=\"note\">")
        .append(esc(String.format(Locale.ROOT, "Batch 1, %d timed runs of each model after %d warm-up runs, interleaved; "
            + "%d intra-op thread%s. Percentiles by nearest rank.", l.runs(), l.warmupRuns(), l.threads(), l.threads() == 1 ? "" : "s")))
        .append("</p>\n<table>\n<thead><tr><th>model</th><th>runtime</th><th>p50</th><th>p95</th><th>p99</th><th>mean</th>"
            + "<th>throughput</th></tr></thead>\n<tbody>\n");
    latencyRow(h, "reference", l.reference());
    latencyRow(h, "candidate", l.candidate());
    h.append("</tbody>\n</table>\n").append(SvgCharts.latency(l)).append('\n');
    if (!r.arithmetic().latencyNote().isEmpty()) {
      h.append("<p class=\"note\" id=\"int8-speed\">").append(esc(r.arithmetic().latencyNote())).append("</p>\n");
    }
    ValidationReport.PipelineBreakdown p = r.pipeline();
    if (p != null && p.samples() > 0) {
      h.append("<h3>End-to-end pipeline of the candidate</h3>\n<p class=\"note\">")
          .append(esc(String.format(Locale.ROOT, "Median per sample over %d holdout samples, one at a time: reading and "
              + "preprocessing, inference, softmax and argmax. Total %.3f ms.", p.samples(), p.totalMs())))
          .append("</p>\n").append(SvgCharts.pipeline(p)).append('\n');
    }
    h.append("</section>\n");
  }

  private static void latencyRow(StringBuilder h, String name, ValidationReport.LatencyStats s) {
    h.append("<tr><td>").append(name).append("</td><td>").append(esc(s.runtime())).append("</td>");
    for (double v : new double[] {s.p50Ms(), s.p95Ms(), s.p99Ms(), s.meanMs()}) {
      h.append("<td class=\"num\">").append(f("%.3f ms", v)).append("</td>");
    }
    h.append("<td class=\"num\">").append(f("%.0f /s", s.throughputPerSecond())).append("</td></tr>\n");
  }

  private static void arithmetic(StringBuilder h, ValidationReport r) {
    ValidationReport.Arithmetic a = r.arithmetic();
    h.append("<section id=\"arithmetic\">\n<h2>Host and target arithmetic</h2>\n<p class=\"note\">Figures: <strong>")
        .append(esc(a.figures())).append("</strong>. ").append(esc(a.explanation())).append(".</p>\n")
        .append("<table class=\"kv\">\n<tbody>\n");
    kv(h, "host CPU", a.hostCpu() + " (" + a.hostArch() + ")");
    kv(h, "host ISA", String.join(" ", a.hostFlags()));
    kv(h, "host INT8 kernels", a.hostInt8KernelDescription());
    kv(h, "target", a.target() + " (from " + a.targetSource() + ")");
    kv(h, "target assumes", a.targetAssumes());
    kv(h, "int8 layers", a.int8Layers() + f(", worst-case pair sum %,d (int16 holds 32,767)", a.worstCasePairSum()));
    kv(h, "mismatch", a.mismatch().isEmpty() ? "none" : a.mismatch());
    if (!a.latencyNote().isEmpty()) {
      kv(h, "INT8 speed", a.latencyNote());
    }
    h.append("</tbody>\n</table>\n</section>\n");
  }

  private static void provenance(StringBuilder h, ValidationReport r) {
    ValidationReport.Provenance p = r.provenance();
    h.append("<section id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"kv\">\n<tbody>\n");
    kv(h, "tool", p.tool() + " " + p.version());
    kv(h, "created", p.createdAt() + " (" + f("%.1f", p.durationSeconds()) + " s)");
    kv(h, "java / os", p.java() + " / " + p.os());
    kv(h, "reference", r.reference().path() + " (" + r.reference().runtime() + ", input " + r.reference().inputType() + ")");
    kv(h, "reference SHA-256", p.referenceSha256());
    kv(h, "candidate", r.candidate().path() + " (" + r.candidate().runtime() + ", input " + r.candidate().inputType() + ")");
    kv(h, "candidate SHA-256", p.candidateSha256());
    kv(h, "holdout", r.holdout().description() + ", preprocessing " + r.holdout().preprocess());
    kv(h, "holdout SHA-256", p.holdoutSha256());
    h.append("</tbody>\n</table>\n<details><summary>Configuration</summary>\n<pre>");
    for (Map.Entry<String, Object> e : p.config().entrySet()) {
      h.append(esc(e.getKey() + ": " + e.getValue())).append('\n');
    }
    h.append("</pre>\n</details>\n</section>\n");
  }

  private static void kv(StringBuilder h, String k, String v) {
    h.append("<tr><th>").append(esc(k)).append("</th><td><code>").append(esc(v)).append("</code></td></tr>\n");
  }

  private static void row(StringBuilder h, String name, String ref, String cand, String change) {
    h.append("<tr><td>").append(esc(name)).append("</td><td class=\"num\">").append(esc(ref)).append("</td><td class=\"num\">")
        .append(esc(cand)).append("</td><td class=\"num\">").append(esc(change)).append("</td></tr>\n");
  }

  /** Escapes text for HTML and XML content and attribute values. */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
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

  /** Shortens a name to {@code max} characters, keeping its end, where layer names differ. */
  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : "…" + s.substring(s.length() - max + 1);
  }

  private static String file(String path) {
    Path p = Path.of(path).getFileName();
    return p == null ? path : p.toString();
  }

  /** Formats a gate figure with up to five significant digits and no trailing zeros. */
  private static String num(double v) {
    return new java.math.BigDecimal(v, new java.math.MathContext(5)).stripTrailingZeros().toPlainString();
  }

  private static String db(double v) {
    return v >= DriftMetrics.MAX_SQNR_DB ? "exact" : f("%.1f", v);
  }

  private static String pct(double v) {
    return f("%.2f%%", v);
  }

  private static String signed(double v) {
    // + 0.0 turns a negative zero into a positive one, so no drop never reads "-0.00".
    return f("%+.2f", v + 0.0);
  }

  private static String f(String fmt, Object... args) {
    return String.format(Locale.ROOT, fmt, args);
  }

  private static final String CSS = """
      :root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--pass:#1a7f37;--fail:#cf222e}
      *{box-sizing:border-box}
      body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
      main{max-width:1100px;margin:0 auto;padding:24px}
      h1{font-size:22px;margin:0 0 4px}
      h2{font-size:18px;margin:0 0 12px}
      h3{font-size:15px;margin:20px 0 6px}
      section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:16px 0}
      .verdict{display:flex;gap:20px;align-items:center;border-radius:12px;padding:20px 24px;color:#fff}
      .verdict.pass{background:linear-gradient(120deg,#1a7f37,#2da44e)}
      .verdict.fail{background:linear-gradient(120deg,#a40e26,#cf222e)}
      .badge{font-size:34px;font-weight:800;letter-spacing:2px;border:3px solid rgba(255,255,255,.85);border-radius:10px;padding:6px 18px}
      .vs{font-weight:400;opacity:.8}
      .sub{margin:0;opacity:.9}
      .reason{margin:6px 0 0;font-weight:600}
      .mismatch{background:#fff4e5;border:1px solid #f0b429;border-radius:10px;padding:12px 16px;margin:16px 0}
      .reasons{margin:6px 0 0;padding-left:20px;font-weight:600}
      .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;background:none;border:none;padding:0}
      .card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
      .card.bad{border-top:4px solid var(--fail)}
      .card.good{border-top:4px solid var(--pass)}
      .ct{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.5px}
      .cv{font-size:20px;font-weight:700;margin:2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
      .cn{color:var(--muted);font-size:12px}
      table{border-collapse:collapse;width:100%}
      th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
      th{font-size:12px;color:var(--muted);font-weight:600}
      td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
      td.ok{color:var(--pass);font-weight:700}
      .bad{color:var(--fail);font-weight:700}
      tr.float td{color:var(--muted)}
      .spark{width:120px}
      .spark span{display:block;height:8px;border-radius:4px;margin-top:6px}
      .spark .loss{background:var(--fail)}
      .spark .gain{background:#2da44e}
      .dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:6px}
      .advice{background:#fff8c5;border:1px solid #d4a72c;border-radius:8px;padding:10px 12px;font-weight:600}
      .note{color:var(--muted);margin:4px 0 10px}
      .kv th{width:170px}
      #layers table{font-size:13px}
      #layers td{overflow-wrap:anywhere}
      code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
      pre{background:var(--bg);padding:10px;border-radius:6px;white-space:pre-wrap}
      summary{cursor:pointer;color:var(--muted);margin:8px 0}
      svg{display:block;margin:8px 0}
      """;
}
