package org.edgeopt.validate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's headless Chromium on a local page: the DOM after load, or a screenshot. */
final class Chromium {
  static final Path BINARY = Path.of("/usr/bin/chromium");

  private Chromium() {}

  /** Returns whether Chromium is installed. */
  static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /** Says why a browser test is skipped. */
  static String missingReason() {
    return BINARY + " is not installed (apt-get install -y chromium; CI's .ci/run installs it)";
  }

  /**
   * The output of one Chromium run.
   *
   * @param exitCode the process's exit code
   * @param stdout what it printed (the DOM with --dump-dom)
   * @param stderr its log
   */
  record Result(int exitCode, String stdout, String stderr) {}

  /** Loads {@code page} and returns the serialized DOM. */
  static Result dumpDom(Path page, Path work) throws IOException, InterruptedException {
    return run(page, work, "--dump-dom");
  }

  /** Loads {@code page} and writes a PNG screenshot of {@code width x height} pixels to {@code png}. */
  static Result screenshot(Path page, Path work, Path png, int width, int height)
      throws IOException, InterruptedException {
    return run(
        page,
        work,
        "--screenshot=" + png.toAbsolutePath(),
        "--window-size=" + width + "," + height,
        "--hide-scrollbars");
  }

  private static Result run(Path page, Path work, String... extra)
      throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(work, "chromium-profile");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                BINARY.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--user-data-dir=" + profile.toAbsolutePath()));
    cmd.addAll(List.of(extra));
    cmd.add(page.toAbsolutePath().toUri().toString());
    Path out = work.resolve("chromium.out");
    Path err = work.resolve("chromium.err");
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IOException("chromium did not finish within 120 s: " + cmd);
    }
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
