package org.edgeopt.deploy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;

/**
 * The few console lines {@code edgeopt monitor} prints about a {@link MonitorReport} (verdict,
 * drifted devices, the field escalation rate beside the cascade's, the first fleet alert), the
 * same on one machine and on Spark.
 */
public final class MonitorSummary {
  private MonitorSummary() {}

  /**
   * Prints the summary, writes the report files into {@code reportDir} when it is given (naming
   * them on the console), and returns the monitor's exit code: the gate failed when it alerted.
   *
   * @param cascade the bundle's cascade, or {@code null} when it has none
   */
  public static int finish(
      PrintWriter out, MonitorReport r, Manifest.Cascade cascade, java.nio.file.Path reportDir)
      throws org.edgeopt.core.EdgeoptException {
    out.print(render(r, cascade));
    if (reportDir != null) {
      java.util.List<java.nio.file.Path> files = MonitorReportWriter.write(r, reportDir);
      out.println(
          "  report   "
              + files.get(1)
              + " (also "
              + files.get(0).getFileName()
              + ", "
              + files.get(2).getFileName()
              + ")");
    }
    out.flush();
    return r.alerted()
        ? org.edgeopt.core.ExitCode.GATE_FAILED.code()
        : org.edgeopt.core.ExitCode.OK.code();
  }

  /**
   * Returns the summary lines.
   *
   * @param cascade the bundle's cascade, or {@code null} when it has none
   */
  public static String render(MonitorReport r, Manifest.Cascade cascade) {
    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    out.printf(
        Locale.ROOT,
        "%-5s %s: %d records, %d devices, %d windows of %d min, %d alerts%n",
        r.verdict(),
        r.model(),
        r.records(),
        r.devices(),
        r.fleet().size(),
        r.windowMinutes(),
        r.alerts().size());
    for (MonitorReport.DeviceDrift drift : r.firstDrift()) {
      out.printf(
          Locale.ROOT,
          "  drifted  %-20s from %s: %s%n",
          drift.device(),
          drift.window(),
          String.join(", ", drift.checks()));
    }
    escalation(out, r.escalation(), cascade);
    r.alerts().stream()
        .filter(a -> a.scope().equals(Monitor.FLEET))
        .findFirst()
        .ifPresent(a -> out.println("  fleet    first alert: " + a.message()));
    out.flush();
    return text.toString();
  }

  /** Prints the field escalation rate beside the rate the bundle's cascade expects, where there are both. */
  private static void escalation(
      PrintWriter out, MonitorReport.Escalation field, Manifest.Cascade cascade) {
    if (field == null) {
      if (cascade != null) {
        out.println(
            "  cascade  no record logged 'escalated': the field escalation rate is unknown");
      }
      return;
    }
    out.printf(
        Locale.ROOT,
        "  cascade  field escalation %.1f%% [%.1f%%, %.1f%%] of %d records",
        100 * field.rate(),
        100 * field.lower(),
        100 * field.upper(),
        field.logged());
    if (cascade == null) {
      out.println(" (the bundle has no cascade to compare with)");
      return;
    }
    boolean apart =
        field.lower() > cascade.escalationUpper() || field.upper() < cascade.escalationLower();
    out.printf(
        Locale.ROOT,
        " vs expected %.1f%% [%.1f%%, %.1f%%] (%s >= %.4g)%s%n",
        100 * cascade.escalationRate(),
        100 * cascade.escalationLower(),
        100 * cascade.escalationUpper(),
        cascade.signal(),
        cascade.threshold(),
        apart ? ": the intervals do not overlap, the inputs have changed" : "");
  }
}
