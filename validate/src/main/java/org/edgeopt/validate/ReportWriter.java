package org.edgeopt.validate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;

/**
 * Writes a {@link ValidationReport} into a report folder: {@value #JSON} (every figure),
 * {@value #JUNIT} (one test case per threshold, for CI) and {@value #HTML} (one self-contained
 * page), each atomically.
 */
public final class ReportWriter {
  /** The machine-readable report. */
  public static final String JSON = "report.json";

  /** The JUnit XML report, one test case per gate threshold. */
  public static final String JUNIT = "junit.xml";

  /** The self-contained HTML report. */
  public static final String HTML = "report.html";

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(
              com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ReportWriter() {}

  /**
   * Writes all three reports into {@code dir}, creating it when needed.
   *
   * @return the files written
   * @throws EdgeoptException if the folder cannot be written
   */
  public static List<Path> write(ValidationReport report, Path dir) throws EdgeoptException {
    try {
      // The three reports appear together: a reader (CI) never sees a new JSON beside an old HTML.
      try (AtomicFiles.Staging staging = AtomicFiles.stage(dir)) {
        Files.writeString(staging.file(JSON), toJson(report));
        Files.writeString(staging.file(JUNIT), JunitXmlReport.render(report));
        Files.writeString(staging.file(HTML), HtmlReport.render(report));
        staging.commit();
      }
      return List.of(dir.resolve(JSON), dir.resolve(JUNIT), dir.resolve(HTML));
    } catch (IOException e) {
      throw EdgeoptException.invalid(dir + ": cannot write the report: " + e.getMessage(), e);
    }
  }

  /** Returns the report as indented JSON. */
  public static String toJson(ValidationReport report) {
    try {
      return MAPPER.writeValueAsString(report) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a validation report could not be turned into JSON", e);
    }
  }

  /**
   * Reads a {@value #JSON} written by {@link #write}.
   *
   * @throws EdgeoptException if the file is missing or is not a validation report
   */
  public static ValidationReport readJson(Path file) throws EdgeoptException {
    try {
      return MAPPER.readValue(file.toFile(), ValidationReport.class);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": expected an edgeopt validation report (report.json): " + e.getMessage(), e);
    }
  }
}
