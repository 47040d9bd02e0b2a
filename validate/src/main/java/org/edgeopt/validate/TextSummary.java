package org.edgeopt.validate;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.edgeopt.core.ExitCode;

/** Renders a {@link ValidationReport} as a compact plain-text summary, verdict first, for terminals and CI logs. */
public final class TextSummary {
  private TextSummary() {}

  /**
   * Prints the summary and, when {@code files} (as {@link ReportWriter#write} returns them) is not
   * null, where the reports went; returns validate's exit code: the gate failed when it did not
   * pass.
   */
  public static int finish(PrintWriter out, ValidationReport r, List<Path> files) {
    out.print(render(r));
    if (files != null) {
      out.println(
          "  report      "
              + files.get(2)
              + " (also "
              + files.get(0).getFileName()
              + ", "
              + files.get(1).getFileName()
              + ")");
    }
    out.flush();
    return r.passed() ? ExitCode.OK.code() : ExitCode.GATE_FAILED.code();
  }

  /** Returns the summary, one figure group per line, ending in a newline. */
  public static String render(ValidationReport r) {
    StringBuilder sb = new StringBuilder();
    line(
        sb,
        "%s  %s vs %s on %d holdout samples (%s%s)",
        r.gate().verdict(),
        fileName(r.candidate().path()),
        fileName(r.reference().path()),
        r.holdout().samples(),
        r.task(),
        r.classification() == null ? "" : ", " + r.classification().classes() + " classes");
    ValidationReport.Classification c = r.classification();
    if (c != null) {
      line(
          sb,
          "  top-1       reference %.2f%%  candidate %.2f%%  drop %.2f points",
          c.referenceTop1(),
          c.candidateTop1(),
          c.top1DropPoints());
      line(
          sb,
          "  top-%d       reference %.2f%%  candidate %.2f%%",
          c.topK(),
          c.referenceTopK(),
          c.candidateTopK());
      line(
          sb,
          "  agreement   %.2f%% (%d of %d samples)",
          c.agreementPercent(),
          c.agreeing(),
          c.samples());
    }
    ValidationReport.OutputComparison o = r.outputs();
    line(
        sb,
        "  outputs     cosine %.6f  SQNR %.1f dB  max |error| %.4g  mean |error| %.4g%s",
        o.cosine(),
        o.sqnrDb(),
        o.maxAbsError(),
        o.meanAbsError(),
        o.tolerance() == null
            ? ""
            : String.format(
                Locale.ROOT,
                "  (%d over tolerance %.4g)",
                o.elementsOverTolerance(),
                o.tolerance()));
    if (r.confidence() != null) {
      line(
          sb,
          "  confidence  mean %.4f -> %.4f (shift %+.4f)",
          r.confidence().reference().mean(),
          r.confidence().candidate().mean(),
          r.confidence().meanShift());
    }
    if (r.latency() != null) {
      ValidationReport.Latency l = r.latency();
      line(
          sb,
          "  latency     p50 %.3f -> %.3f ms, p95 %.3f -> %.3f ms, p99 %.3f -> %.3f ms (%.2fx; %d runs after %d warm-up, %d thread%s)",
          l.reference().p50Ms(),
          l.candidate().p50Ms(),
          l.reference().p95Ms(),
          l.candidate().p95Ms(),
          l.reference().p99Ms(),
          l.candidate().p99Ms(),
          l.speedup(),
          l.runs(),
          l.warmupRuns(),
          l.threads(),
          l.threads() == 1 ? "" : "s");
    }
    if (r.pipeline() != null && r.pipeline().samples() > 0) {
      ValidationReport.PipelineBreakdown p = r.pipeline();
      line(
          sb,
          "  pipeline    pre-processing %.3f ms + inference %.3f ms + post-processing %.3f ms per sample",
          p.preprocessMs(),
          p.inferenceMs(),
          p.postprocessMs());
    }
    ValidationReport.Arithmetic a = r.arithmetic();
    line(
        sb,
        "  arithmetic  %s, on %s (%s INT8 kernels) for target %s",
        a.figures(),
        a.hostCpu(),
        a.hostInt8Kernel(),
        a.target());
    if (!a.figures().equals("native")) {
      line(sb, "              %s", a.explanation());
    }
    if (!a.latencyNote().isEmpty()) {
      line(sb, "  int8 speed  %s", a.latencyNote());
    }
    if (a.targetMismatch()) {
      line(sb, "  MISMATCH    %s", a.mismatch());
    }
    line(sb, "  layers      %s", r.diagnosis().advice());
    String label = "  gate        ";
    for (ValidationReport.GateCheck check : r.gate().checks()) {
      line(sb, "%s%s %s", label, check.passed() ? "ok  " : "FAIL", check.message());
      label = "              ";
    }
    return sb.toString();
  }

  private static String fileName(String path) {
    Path p = Path.of(path).getFileName();
    return p == null ? path : p.toString();
  }

  private static void line(StringBuilder sb, String fmt, Object... args) {
    sb.append(String.format(Locale.ROOT, fmt, args)).append('\n');
  }
}
