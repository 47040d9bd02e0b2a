package org.edgeopt.ingest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link ModelCard} as a short fixed-width summary for the terminal. */
public final class ModelCardTable {
  private static final int TOP_LAYERS = 5;
  private static final int WIDTH = 100;

  private ModelCardTable() {}

  /** Returns the summary, lines ending in {@code \n}. */
  public static String render(ModelCard c) {
    StringBuilder s = new StringBuilder();
    row(
        s,
        "model",
        c.source().file()
            + "  (sha256 "
            + c.source().sha256().substring(0, 12)
            + "..., "
            + c.source().producer()
            + ")");
    row(
        s,
        "opset",
        c.source().opset() == c.opset()
            ? Long.toString(c.opset())
            : c.source().opset() + " -> " + c.opset());
    for (ModelCard.TensorSummary t : c.inputs()) {
      row(s, "input", t.name() + "  " + t.display());
    }
    for (ModelCard.TensorSummary t : c.outputs()) {
      row(s, "output", t.name() + "  " + t.display());
    }
    List<String> ops = new ArrayList<>();
    c.opHistogram().forEach((op, n) -> ops.add(op + " " + n));
    row(s, "nodes", c.nodeCount() + ": " + String.join(", ", ops));
    row(
        s,
        "parameters",
        String.format(
            Locale.ROOT, "%,d (%s of weights)", c.parameterCount(), bytes(c.weightBytes())));
    row(
        s,
        "MACs",
        String.format(
            Locale.ROOT,
            "%s per inference at batch 1, in %d layers",
            count(c.totalMacs()),
            c.layers().size()));
    row(
        s,
        "peak memory",
        bytes(c.peakActivation().bytes())
            + " of activations, at '"
            + c.peakActivation().node()
            + "'");
    List<ModelCard.LayerMacs> top =
        c.layers().stream()
            .sorted(Comparator.comparingLong(ModelCard.LayerMacs::macs).reversed())
            .limit(TOP_LAYERS)
            .toList();
    for (ModelCard.LayerMacs l : top) {
      row(
          s,
          top.indexOf(l) == 0 ? "top layers" : "",
          String.format(
              Locale.ROOT,
              "%-40s %-14s %10s MACs  %5.1f%%",
              clip(l.node(), 40),
              l.opType(),
              count(l.macs()),
              100.0 * l.macs() / Math.max(1, c.totalMacs())));
    }
    if (c.fidelity() != null) {
      FidelityCheck f = c.fidelity();
      row(
          s,
          "fidelity",
          String.format(
              Locale.ROOT,
              "vs %s: max |diff| %.3g, cosine %.8f, %s (tolerance %.0e x max(1, |ref|))",
              f.reference(),
              f.maxAbsDiff(),
              f.cosineSimilarity(),
              f.withinTolerance() ? "within tolerance" : "OUT OF TOLERANCE",
              f.tolerance()));
    }
    s.append('\n');
    s.append(
        String.format(
            Locale.ROOT,
            "%-22s %-9s %-5s %-14s %s%n",
            "TARGET",
            "OPS",
            "FITS",
            "ROOFLINE",
            "PROBLEMS"));
    for (ModelCard.TargetCoverage t : c.targets()) {
      List<String> problems = new ArrayList<>();
      for (ModelCard.UnsupportedOp u : t.unsupported()) {
        problems.add(u.opType() + " unsupported (" + u.nodes().size() + ")");
      }
      problems.addAll(t.ruleViolations());
      s.append(
          String.format(
              Locale.ROOT,
              "%-22s %-9s %-5s %-14s %s%n",
              clip(t.profile(), 22),
              t.supportedOpTypes() + "/" + t.opTypes(),
              t.fits() ? "yes" : "no",
              roofline(t.rooflineSeconds()),
              problems.isEmpty() ? "-" : clip(String.join("; ", problems), WIDTH - 54)));
    }
    s.append('\n');
    s.append("INT8 SPEED-UP TO EXPECT\n");
    for (ModelCard.TargetCoverage t : c.targets()) {
      wrapped(s, clip(t.profile(), 22), t.int8Speedup());
    }
    return s.toString();
  }

  /** Appends {@code text} after a 22-column label, wrapped at word boundaries to the table's width. */
  private static void wrapped(StringBuilder s, String label, String text) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-22s", label));
    for (String word : text.split(" ")) {
      if (line.length() > 23 && line.length() + 1 + word.length() > WIDTH) {
        s.append(line).append('\n');
        line = new StringBuilder(" ".repeat(22));
      }
      line.append(' ').append(word);
    }
    s.append(line).append('\n');
  }

  private static void row(StringBuilder s, String label, String value) {
    s.append(String.format(Locale.ROOT, "%-12s %s%n", label, value));
  }

  private static String roofline(Map<String, Double> perPrecision) {
    // The fastest precision the target runs is what a deployment would use.
    for (String p : List.of("int8", "fp16", "fp32")) {
      Double sec = perPrecision.get(p);
      if (sec != null) {
        return (sec >= 1e-3
                ? String.format(Locale.ROOT, "%.3g ms", sec * 1e3)
                : String.format(Locale.ROOT, "%.3g us", sec * 1e6))
            + " "
            + p;
      }
    }
    return "-";
  }

  static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
  }

  static String count(long n) {
    if (n < 1_000) {
      return Long.toString(n);
    }
    if (n < 1_000_000) {
      return String.format(Locale.ROOT, "%.1f K", n / 1e3);
    }
    if (n < 1_000_000_000) {
      return String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }
    return String.format(Locale.ROOT, "%.2f G", n / 1e9);
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "...";
  }
}
