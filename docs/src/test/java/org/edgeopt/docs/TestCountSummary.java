package org.edgeopt.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prints, at the end of a full build, how many tests each module ran, failed and skipped, read
 * from the surefire reports the build just wrote; {@code docs} is the reactor's last module, so
 * its {@code verify} phase runs this after every module's tests. Reports older than the build's
 * start (left by an earlier run) and modules without reports are left out.
 */
public final class TestCountSummary {
  private static final Pattern ATTR = Pattern.compile("(tests|errors|skipped|failures)=\"(\\d+)\"");

  private TestCountSummary() {}

  /**
   * Prints the table for the build rooted at {@code args[0]} (default: the parent folder), counting
   * reports written at or after the instant {@code args[1]} (ISO-8601; default: all).
   */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : "..").toAbsolutePath().normalize();
    Instant since = args.length > 1 ? Instant.parse(args[1]) : Instant.EPOCH;
    List<String> rows = new ArrayList<>();
    long[] total = new long[4];
    try (Stream<Path> reports =
        Files.find(
            root,
            4,
            (p, a) -> p.getFileName().toString().equals("surefire-reports") && a.isDirectory())) {
      for (Path dir : reports.sorted().toList()) {
        long[] c = counts(dir, since);
        if (c[0] == 0 && c[3] == 0) {
          continue;
        }
        String module = root.relativize(dir.getParent().getParent()).toString();
        rows.add(String.format(Locale.ROOT, "%-28s %6d %6d %6d", module, c[0], c[1] + c[2], c[3]));
        for (int i = 0; i < 4; i++) {
          total[i] += c[i];
        }
      }
    }
    System.out.println("Tests per module (surefire reports):");
    System.out.printf(Locale.ROOT, "%-28s %6s %6s %6s%n", "MODULE", "RUN", "FAILED", "SKIPPED");
    rows.forEach(System.out::println);
    System.out.printf(
        Locale.ROOT, "%-28s %6d %6d %6d%n", "total", total[0], total[1] + total[2], total[3]);
  }

  /** Returns tests, failures, errors and skipped summed over the TEST-*.xml files of one module. */
  static long[] counts(Path dir, Instant since) throws IOException {
    long[] c = new long[4];
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f :
          files.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).toList()) {
        if (Files.getLastModifiedTime(f).toInstant().isBefore(since)) {
          continue;
        }
        String head = readHead(f);
        int start = head.indexOf("<testsuite ");
        int end = start < 0 ? -1 : head.indexOf('>', start);
        if (end < 0) {
          continue;
        }
        Matcher m = ATTR.matcher(head.substring(start, end));
        while (m.find()) {
          long v = Long.parseLong(m.group(2));
          switch (m.group(1)) {
            case "tests" -> c[0] += v;
            case "failures" -> c[1] += v;
            case "errors" -> c[2] += v;
            default -> c[3] += v;
          }
        }
      }
    }
    return c;
  }

  private static String readHead(Path f) throws IOException {
    try (var in = Files.newInputStream(f)) {
      return new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
