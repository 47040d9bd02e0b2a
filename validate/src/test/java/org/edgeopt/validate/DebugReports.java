package org.edgeopt.validate;

import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;

/** Keeps a test's report for a person to look at when {@code -Dedgeopt.debug.report=DIR} is given. */
final class DebugReports {
  private DebugReports() {}

  /** Writes {@code report} into {@code DIR/name} if the property is set. */
  static void keep(ValidationReport report, String name) throws EdgeoptException {
    String dir = System.getProperty("edgeopt.debug.report");
    if (dir != null) {
      ReportWriter.write(report, Path.of(dir, name));
    }
  }
}
