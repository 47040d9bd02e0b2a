package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.edgeopt.core.report.SvgCharts;
import org.edgeopt.core.report.SvgCharts.Axis;
import org.edgeopt.core.report.SvgCharts.BarRow;
import org.edgeopt.core.report.SvgCharts.Point;
import org.edgeopt.core.report.SvgCharts.PointStyle;
import org.edgeopt.core.report.SvgCharts.Segment;
import org.edgeopt.core.report.SvgCharts.Series;
import org.edgeopt.core.report.SvgCharts.Tick;

/**
 * The validation report's charts: its figures turned into the data of the shared
 * {@link SvgCharts} functions (per-layer SQNR bars, SQNR accumulation in graph order, confidence
 * and latency histograms, the pipeline breakdown).
 */
final class ValidationCharts {
  /** SQNR axes stop here: an exact layer (infinite SQNR) must not flatten every other bar. */
  private static final double SQNR_AXIS_CAP = 80;

  private ValidationCharts() {}

  /** Returns the colour for a layer's added SQNR: red below 20 dB, amber below 30 dB, green above. */
  static String severity(double db) {
    return db < 20 ? SvgCharts.BAD_COLOR : db < 30 ? SvgCharts.WARN_COLOR : SvgCharts.GOOD_COLOR;
  }

  /**
   * Horizontal bars of each layer's added SQNR (worst first), with a marker for its SQNR in the
   * whole candidate; values above the axis maximum are drawn to the edge and labelled.
   */
  static String layerBars(List<LayerDiagnosis.LayerError> layers) {
    List<Double> values = new ArrayList<>();
    List<BarRow> rows = new ArrayList<>();
    for (LayerDiagnosis.LayerError e : layers) {
      values.add(Math.max(e.addedSqnrDb(), e.sqnrDb()));
      // About 44 characters fit the label column at this font size; the node name's end is kept.
      String op = " (" + e.opType() + ")";
      rows.add(
          new BarRow(
              HtmlReport.abbreviate(e.node(), Math.max(12, 44 - op.length())) + op,
              e.addedSqnrDb(),
              e.sqnrDb(),
              severity(e.addedSqnrDb()),
              String.format(
                  Locale.ROOT,
                  "%s: %.1f dB on its own (%s), %.1f dB in the whole candidate",
                  e.node(),
                  e.addedSqnrDb(),
                  e.addedBy(),
                  e.sqnrDb()),
              HtmlReport.db(e.addedSqnrDb()) + " / " + HtmlReport.db(e.sqnrDb()) + " dB"));
    }
    return SvgCharts.barsWithMarkers(
        "Per-layer SQNR, worst first",
        rows,
        Axis.covering(values, 40, SQNR_AXIS_CAP, 10, "dB"),
        "bar: SQNR of the layer on its own (error it adds)",
        "SQNR in the whole candidate (accumulated)");
  }

  /**
   * The SQNR of every compared layer in the whole candidate, in graph order: where error enters
   * and how it accumulates. Reduced-precision layers are filled dots, the one to exclude first is
   * red and labelled.
   */
  static String accumulation(List<LayerDiagnosis.LayerError> layers, String excludeFirst) {
    List<LayerDiagnosis.LayerError> ordered =
        layers.stream()
            .sorted(Comparator.comparingInt(LayerDiagnosis.LayerError::position))
            .toList();
    List<Point> points = new ArrayList<>();
    for (LayerDiagnosis.LayerError e : ordered) {
      boolean worst = e.node().equals(excludeFirst);
      PointStyle style =
          worst
              ? PointStyle.HIGHLIGHTED
              : e.reducedPrecision() ? PointStyle.FILLED : PointStyle.HOLLOW;
      String callout =
          (e.addedSqnrDb() < LayerDiagnosis.HEALTHY_SQNR_DB ? "exclude first: " : "weakest: ")
              + HtmlReport.abbreviate(e.node(), 40);
      points.add(
          new Point(
              e.sqnrDb(),
              style,
              String.format(
                  Locale.ROOT,
                  "%d. %s (%s): %.1f dB",
                  e.position(),
                  e.node(),
                  e.opType(),
                  e.sqnrDb()),
              callout));
    }
    return SvgCharts.pointLine(
        "SQNR of each layer in the whole candidate, in graph order",
        points,
        Axis.covering(
            ordered.stream().map(LayerDiagnosis.LayerError::sqnrDb).toList(),
            40,
            SQNR_AXIS_CAP,
            10,
            "dB"),
        "layers in graph order (filled: reduced precision; hollow: float)");
  }

  /** Overlaid histograms of the two models' confidence over equal bins of [0, 1], with their means. */
  static String confidence(ValidationReport.Confidence c) {
    int bins = c.bins();
    List<String> referenceTips = new ArrayList<>();
    List<String> candidateTips = new ArrayList<>();
    for (int i = 0; i < bins; i++) {
      referenceTips.add(
          "reference: " + c.reference().histogram().get(i) + " samples in " + binLabel(i, bins));
      candidateTips.add(
          "candidate: " + c.candidate().histogram().get(i) + " samples in " + binLabel(i, bins));
    }
    List<Tick> ticks = new ArrayList<>();
    for (int i = 0; i <= bins; i += bins / 5) {
      ticks.add(new Tick((double) i / bins, String.format(Locale.ROOT, "%.1f", (double) i / bins)));
    }
    return SvgCharts.overlaidHistograms(
        "Confidence histograms of reference and candidate",
        300,
        List.of(
            new Series(
                c.reference().histogram(),
                referenceTips,
                SvgCharts.REFERENCE_COLOR,
                c.reference().mean(),
                String.format(Locale.ROOT, "reference (mean %.3f)", c.reference().mean())),
            new Series(
                c.candidate().histogram(),
                candidateTips,
                SvgCharts.CANDIDATE_COLOR,
                c.candidate().mean(),
                String.format(Locale.ROOT, "candidate (mean %.3f)", c.candidate().mean()))),
        ticks,
        "largest class probability",
        "samples");
  }

  /** Overlaid histograms of both models' timed runs, with their p50 marked. */
  static String latency(ValidationReport.Latency l) {
    // The axis ends a quarter past the slower p95: a single preempted run on a busy machine must
    // not
    // squeeze every other run into one bar. Slower runs are counted in the last bin.
    double lo = Math.min(l.reference().minMs(), l.candidate().minMs());
    double hi = Math.max(l.reference().p95Ms(), l.candidate().p95Ms()) * 1.25;
    if (hi <= lo) {
      hi = lo + 1e-3;
    }
    int bins = 40;
    List<Tick> ticks = new ArrayList<>();
    for (int i = 0; i <= 4; i++) {
      ticks.add(new Tick(i / 4.0, String.format(Locale.ROOT, "%.3f", lo + (hi - lo) * i / 4)));
    }
    return SvgCharts.overlaidHistograms(
        "Latency distribution of reference and candidate",
        280,
        List.of(
            latencySeries("reference", l.reference(), lo, hi, bins, SvgCharts.REFERENCE_COLOR),
            latencySeries("candidate", l.candidate(), lo, hi, bins, SvgCharts.CANDIDATE_COLOR)),
        ticks,
        String.format(
            Locale.ROOT, "milliseconds per batch-1 run (runs over %.3f ms in the last bin)", hi),
        "runs");
  }

  private static Series latencySeries(
      String name, ValidationReport.LatencyStats s, double lo, double hi, int bins, String color) {
    List<Integer> counts = new ArrayList<>();
    List<String> tips = new ArrayList<>();
    for (int count : SvgCharts.histogram(s.samplesMs(), lo, hi, bins)) {
      counts.add(count);
      tips.add(name + ": " + count + " runs");
    }
    return new Series(
        counts,
        tips,
        color,
        (s.p50Ms() - lo) / (hi - lo),
        String.format(Locale.ROOT, "%s (p50 %.3f ms, p95 %.3f ms)", name, s.p50Ms(), s.p95Ms()));
  }

  /** One stacked bar: pre-processing, inference and post-processing time per sample. */
  static String pipeline(ValidationReport.PipelineBreakdown p) {
    return SvgCharts.stackedBar(
        "Time per sample by pipeline stage",
        List.of(
            new Segment("pre-processing", p.preprocessMs(), "#8250df"),
            new Segment("inference", p.inferenceMs(), SvgCharts.CANDIDATE_COLOR),
            new Segment("post-processing", p.postprocessMs(), "#1f883d")),
        p.totalMs(),
        "ms");
  }

  private static String binLabel(int i, int bins) {
    return String.format(
        Locale.ROOT,
        "[%.2f, %.2f%s",
        (double) i / bins,
        (double) (i + 1) / bins,
        i == bins - 1 ? "]" : ")");
  }
}
