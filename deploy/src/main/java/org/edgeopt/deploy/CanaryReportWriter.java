package org.edgeopt.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;

/**
 * Writes a {@link CanaryReport} as {@code report.json} and {@code junit.xml} (one test case per
 * check, skipped checks marked skipped), both appearing together.
 */
public final class CanaryReportWriter {
  private CanaryReportWriter() {}

  /** Writes both files into {@code dir} and returns them. */
  public static List<Path> write(CanaryReport report, Path dir) throws EdgeoptException {
    try (AtomicFiles.Staging staging = AtomicFiles.stage(dir)) {
      Files.write(staging.file(MonitorReportWriter.JSON), StableJson.bytes(report));
      Files.writeString(
          staging.file(MonitorReportWriter.JUNIT), junit(report), StandardCharsets.UTF_8);
      staging.commit();
      return List.of(dir.resolve(MonitorReportWriter.JSON), dir.resolve(MonitorReportWriter.JUNIT));
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          dir + ": cannot write the canary report: " + e.getMessage(), e);
    }
  }

  static String junit(CanaryReport r) {
    long failures = r.checks().stream().filter(c -> c.outcome().equals("fail")).count();
    long skipped = r.checks().stream().filter(c -> c.outcome().equals("skipped")).count();
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.append("<testsuite name=\"edgeopt.canary\" tests=\"")
        .append(r.checks().size())
        .append("\" failures=\"")
        .append(failures)
        .append("\" errors=\"0\" skipped=\"")
        .append(skipped)
        .append("\">\n");
    for (CanaryReport.Check c : r.checks()) {
      x.append("  <testcase classname=\"edgeopt.canary\" name=\"")
          .append(c.name())
          .append("\" time=\"0\">");
      if (c.outcome().equals("fail")) {
        x.append("<failure type=\"edgeopt.CanaryRollback\" message=\"")
            .append(MonitorReportWriter.xml(c.message()))
            .append("\">")
            .append(MonitorReportWriter.xml(c.test()))
            .append("</failure>");
      } else if (c.outcome().equals("skipped")) {
        x.append("<skipped message=\"").append(MonitorReportWriter.xml(c.message())).append("\"/>");
      }
      x.append("</testcase>\n");
    }
    return x.append("</testsuite>\n").toString();
  }
}
