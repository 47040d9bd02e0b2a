package org.edgeopt.validate;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.edgeopt.core.report.Templates;
import org.edgeopt.validate.ReportPage.Card;
import org.edgeopt.validate.ReportPage.Check;
import org.edgeopt.validate.ReportPage.ClassRow;
import org.edgeopt.validate.ReportPage.Classes;
import org.edgeopt.validate.ReportPage.FigureRow;
import org.edgeopt.validate.ReportPage.KeyValue;
import org.edgeopt.validate.ReportPage.LatencyRow;
import org.edgeopt.validate.ReportPage.LayerRow;
import org.edgeopt.validate.ReportPage.Layers;
import org.edgeopt.validate.ReportPage.NoteAndChart;

/**
 * Renders the report as one self-contained HTML page (inline CSS and SVG, no script, no network,
 * verdict at the top) from the template {@value #TEMPLATE}: this class only words and formats the
 * figures into a {@link ReportPage}. The markup is well-formed XML (polyglot XHTML) so that tests
 * can parse it strictly.
 */
final class HtmlReport {
  static final String TEMPLATE = "/org/edgeopt/validate/report.mustache";
  private static final int MAX_CHART_LAYERS = 40;
  private static final int MAX_CLASSES = 50;

  private HtmlReport() {}

  static String render(ValidationReport r) {
    return Templates.render(HtmlReport.class, TEMPLATE, page(r));
  }

  static ReportPage page(ValidationReport r) {
    boolean pass = r.passed();
    String verdict = r.gate().verdict().toString();
    String candidate = file(r.candidate().path());
    String reference = file(r.reference().path());
    int checks = r.gate().checks().size();
    ValidationReport.Arithmetic a = r.arithmetic();
    return new ReportPage(
        verdict + ": " + candidate + " vs " + reference,
        verdict,
        pass ? "pass" : "fail",
        candidate,
        reference,
        f(
            "%d holdout samples, %s, edgeopt %s, %s",
            r.holdout().samples(), r.task(), r.provenance().version(), r.provenance().createdAt()),
        pass ? "All " + checks + " threshold" + (checks == 1 ? " was" : "s were") + " met." : null,
        !pass,
        r.gate().reasons(),
        a.targetMismatch() ? a.mismatch() : null,
        cards(r),
        checks(r),
        accuracy(r),
        classes(r),
        r.diagnosis().ran() ? null : r.diagnosis().advice(),
        layers(r.diagnosis()),
        confidence(r),
        latency(r),
        a.figures(),
        a.explanation(),
        arithmetic(a),
        provenance(r),
        configuration(r.provenance().config()));
  }

  private static List<Card> cards(ValidationReport r) {
    // Each card shows the candidate's figure large and the reference's beside the change below it.
    List<Card> cards = new ArrayList<>();
    ValidationReport.Classification c = r.classification();
    if (c != null) {
      cards.add(
          new Card(
              "Top-1",
              pct(c.candidateTop1()),
              "reference "
                  + pct(c.referenceTop1())
                  + ", "
                  + signed(-c.top1DropPoints())
                  + " points",
              c.top1DropPoints() > 0 ? "bad" : "good"));
      cards.add(
          new Card(
              "Agreement",
              pct(c.agreementPercent()),
              c.agreeing() + " of " + c.samples() + " samples",
              ""));
    }
    cards.add(
        new Card(
            "Output SQNR",
            f("%.1f dB", r.outputs().sqnrDb()),
            f("cosine %.5f", r.outputs().cosine()),
            ""));
    ValidationReport.Confidence conf = r.confidence();
    if (conf != null) {
      cards.add(
          new Card(
              "Confidence",
              f("%.3f", conf.candidate().mean()),
              f("reference %.3f, shift %+.4f", conf.reference().mean(), conf.meanShift()),
              conf.meanShift() < -0.01 ? "bad" : ""));
    }
    ValidationReport.Latency l = r.latency();
    if (l != null) {
      cards.add(
          new Card(
              "p95 latency",
              f("%.3f ms", l.candidate().p95Ms()),
              f("reference %.3f ms, %.2f× at p50", l.reference().p95Ms(), l.speedup()),
              l.speedup() >= 1 ? "good" : ""));
    }
    if (r.diagnosis().excludeFirst() != null) {
      double db = r.diagnosis().layers().get(0).addedSqnrDb();
      boolean weak = db < LayerDiagnosis.HEALTHY_SQNR_DB;
      cards.add(
          new Card(
              weak ? "Exclude first" : "Weakest layer",
              abbreviate(r.diagnosis().excludeFirst(), 15),
              f("%.1f dB on its own", db),
              weak ? "bad" : ""));
    }
    return cards;
  }

  private static List<Check> checks(ValidationReport r) {
    return r.gate().checks().stream()
        .map(
            c -> {
              String unit = c.unit().isEmpty() ? "" : " " + c.unit();
              return new Check(
                  c.description(),
                  num(c.actual()) + unit,
                  (c.name().equals("agreement") ? "≥ " : "≤ ") + num(c.limit()) + unit,
                  c.passed() ? "ok" : "bad",
                  c.passed() ? "pass" : "FAIL");
            })
        .toList();
  }

  private static List<FigureRow> accuracy(ValidationReport r) {
    List<FigureRow> rows = new ArrayList<>();
    ValidationReport.Classification c = r.classification();
    if (c != null) {
      rows.add(
          new FigureRow(
              "top-1 accuracy",
              pct(c.referenceTop1()),
              pct(c.candidateTop1()),
              signed(-c.top1DropPoints()) + " points"));
      rows.add(
          new FigureRow(
              "top-" + c.topK() + " accuracy",
              pct(c.referenceTopK()),
              pct(c.candidateTopK()),
              signed(c.candidateTopK() - c.referenceTopK()) + " points"));
      rows.add(
          new FigureRow(
              "correct (top-1)",
              Integer.toString(c.referenceCorrect()),
              Integer.toString(c.candidateCorrect()),
              signed(c.candidateCorrect() - c.referenceCorrect())));
      rows.add(
          new FigureRow(
              "agreement with the reference",
              "",
              pct(c.agreementPercent()),
              c.agreeing() + " of " + c.samples()));
    }
    if (r.confidence() != null) {
      rows.add(
          new FigureRow(
              "mean confidence",
              f("%.4f", r.confidence().reference().mean()),
              f("%.4f", r.confidence().candidate().mean()),
              f("%+.4f", r.confidence().meanShift())));
    }
    ValidationReport.OutputComparison o = r.outputs();
    rows.add(new FigureRow("output cosine similarity", "", f("%.6f", o.cosine()), ""));
    rows.add(new FigureRow("output SQNR", "", f("%.2f dB", o.sqnrDb()), ""));
    rows.add(
        new FigureRow(
            "max / mean |output error|",
            "",
            f("%.4g / %.4g", o.maxAbsError(), o.meanAbsError()),
            o.tolerance() == null
                ? ""
                : o.elementsOverTolerance() + " over tolerance " + f("%.4g", o.tolerance())));
    return rows;
  }

  private static Classes classes(ValidationReport r) {
    ValidationReport.Classification c = r.classification();
    if (c == null) {
      return null;
    }
    List<ValidationReport.ClassAccuracy> shown = c.perClass();
    String truncation = null;
    if (shown.size() > MAX_CLASSES) {
      // A thousand ImageNet rows would bury the page: show the classes that lost most.
      shown =
          shown.stream()
              .sorted(
                  Comparator.comparingDouble(ValidationReport.ClassAccuracy::dropPoints).reversed())
              .limit(MAX_CLASSES)
              .toList();
      truncation =
          "The "
              + MAX_CLASSES
              + " of "
              + c.perClass().size()
              + " classes with the largest drop; report.json lists all.";
    }
    return new Classes(
        truncation,
        shown.stream()
            .map(
                a ->
                    new ClassRow(
                        a.name(),
                        a.samples(),
                        pct(a.referenceTop1()),
                        pct(a.candidateTop1()),
                        a.dropPoints() > 0 ? "bad" : "",
                        f("%.2f", a.dropPoints()),
                        a.dropPoints() > 0 ? "loss" : "gain",
                        f("%.0f", Math.min(100, Math.abs(a.dropPoints()) * 10))))
            .toList());
  }

  private static Layers layers(LayerDiagnosis d) {
    if (!d.ran()) {
      return null;
    }
    List<LayerDiagnosis.LayerError> reduced =
        d.layers().stream()
            .filter(LayerDiagnosis.LayerError::reducedPrecision)
            .limit(MAX_CHART_LAYERS)
            .toList();
    List<LayerRow> rows =
        d.layers().stream()
            .map(
                e ->
                    new LayerRow(
                        e.reducedPrecision(),
                        e.rank(),
                        e.node(),
                        e.opType(),
                        e.referenceTensor(),
                        e.matchedBy(),
                        ValidationCharts.severity(e.addedSqnrDb()),
                        db(e.addedSqnrDb()) + (e.addedBy().equals("estimated") ? "*" : ""),
                        db(e.sqnrDb()),
                        db(e.inputSqnrDb()),
                        f("%.5f", e.cosine()),
                        f("%.3g", e.maxAbsError())))
            .toList();
    return new Layers(
        d.advice(),
        d.samples()
            + " holdout samples, graph optimizations off; "
            + d.reason()
            + ". SQNR = 10·log10(Σref² / Σ(ref − candidate)²); higher is better.",
        reduced.isEmpty() ? null : ValidationCharts.layerBars(reduced),
        ValidationCharts.accumulation(d.layers(), d.excludeFirst()),
        d.layers().size(),
        rows);
  }

  private static NoteAndChart confidence(ValidationReport r) {
    ValidationReport.Confidence c = r.confidence();
    if (c == null) {
      return null;
    }
    return new NoteAndChart(
        f(
            "Largest class probability per sample (%s), %d bins. Mean %.4f to %.4f, "
                + "a shift of %+.4f; a falling mean is the usual sign of domain shift or a damaged model.",
            c.source().equals("output") ? "the model's own probabilities" : "softmax of the logits",
            c.bins(),
            c.reference().mean(),
            c.candidate().mean(),
            c.meanShift()),
        ValidationCharts.confidence(c));
  }

  private static ReportPage.Latency latency(ValidationReport r) {
    ValidationReport.Latency l = r.latency();
    if (l == null) {
      return null;
    }
    ValidationReport.PipelineBreakdown p = r.pipeline();
    NoteAndChart pipeline =
        p == null || p.samples() == 0
            ? null
            : new NoteAndChart(
                f(
                    "Median per sample over %d holdout samples, one at a time: reading and preprocessing, inference, "
                        + "softmax and argmax. Total %.3f ms.",
                    p.samples(), p.totalMs()),
                ValidationCharts.pipeline(p));
    String int8Speed = r.arithmetic().latencyNote();
    return new ReportPage.Latency(
        f(
            "Batch 1, %d timed runs of each model after %d warm-up runs, interleaved; %d intra-op thread%s. "
                + "Percentiles by nearest rank.",
            l.runs(), l.warmupRuns(), l.threads(), l.threads() == 1 ? "" : "s"),
        List.of(latencyRow("reference", l.reference()), latencyRow("candidate", l.candidate())),
        ValidationCharts.latency(l),
        int8Speed.isEmpty() ? null : int8Speed,
        pipeline);
  }

  private static LatencyRow latencyRow(String model, ValidationReport.LatencyStats s) {
    return new LatencyRow(
        model,
        s.runtime(),
        f("%.3f ms", s.p50Ms()),
        f("%.3f ms", s.p95Ms()),
        f("%.3f ms", s.p99Ms()),
        f("%.3f ms", s.meanMs()),
        f("%.0f /s", s.throughputPerSecond()));
  }

  private static List<KeyValue> arithmetic(ValidationReport.Arithmetic a) {
    List<KeyValue> rows =
        new ArrayList<>(
            List.of(
                new KeyValue("host CPU", a.hostCpu() + " (" + a.hostArch() + ")"),
                new KeyValue("host ISA", String.join(" ", a.hostFlags())),
                new KeyValue("host INT8 kernels", a.hostInt8KernelDescription()),
                new KeyValue("target", a.target() + " (from " + a.targetSource() + ")"),
                new KeyValue("target assumes", a.targetAssumes()),
                new KeyValue(
                    "int8 layers",
                    a.int8Layers()
                        + f(
                            ", worst-case pair sum %,d (int16 holds 32,767)",
                            a.worstCasePairSum())),
                new KeyValue("mismatch", a.mismatch().isEmpty() ? "none" : a.mismatch())));
    if (!a.latencyNote().isEmpty()) {
      rows.add(new KeyValue("INT8 speed", a.latencyNote()));
    }
    return rows;
  }

  private static List<KeyValue> provenance(ValidationReport r) {
    ValidationReport.Provenance p = r.provenance();
    return List.of(
        new KeyValue("tool", p.tool() + " " + p.version()),
        new KeyValue("created", p.createdAt() + " (" + f("%.1f", p.durationSeconds()) + " s)"),
        new KeyValue("java / os", p.java() + " / " + p.os()),
        new KeyValue(
            "reference",
            r.reference().path()
                + " ("
                + r.reference().runtime()
                + ", input "
                + r.reference().inputType()
                + ")"),
        new KeyValue("reference SHA-256", p.referenceSha256()),
        new KeyValue(
            "candidate",
            r.candidate().path()
                + " ("
                + r.candidate().runtime()
                + ", input "
                + r.candidate().inputType()
                + ")"),
        new KeyValue("candidate SHA-256", p.candidateSha256()),
        new KeyValue(
            "holdout", r.holdout().description() + ", preprocessing " + r.holdout().preprocess()),
        new KeyValue("holdout SHA-256", p.holdoutSha256()));
  }

  private static String configuration(Map<String, Object> config) {
    return config.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue() + "\n")
        .collect(Collectors.joining());
  }

  /** Shortens a name to {@code max} characters, keeping its end, where layer names differ. */
  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : "…" + s.substring(s.length() - max + 1);
  }

  /** Formats an SQNR in dB with one decimal, or "exact" for an error-free layer. */
  static String db(double v) {
    return v >= DriftMetrics.MAX_SQNR_DB ? "exact" : f("%.1f", v);
  }

  private static String file(String path) {
    Path p = Path.of(path).getFileName();
    return p == null ? path : p.toString();
  }

  /** Formats a gate figure with up to five significant digits and no trailing zeros. */
  private static String num(double v) {
    return new BigDecimal(v, new MathContext(5)).stripTrailingZeros().toPlainString();
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
}
