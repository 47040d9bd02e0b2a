package org.edgeopt.core.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** A child process for {@link AtomicFilesTest}: opens a temp file beside {@code args[0]} and waits to be killed. */
final class HoldsATempFile {
  private HoldsATempFile() {}

  public static void main(String[] args) throws Exception {
    Path tmp = AtomicFiles.tempSibling(Path.of(args[0]));
    Files.writeString(tmp, "partial");
    try (AtomicFiles.Staging s = AtomicFiles.stage(Path.of(args[0]).getParent())) {
      Files.writeString(s.file("report.json"), "partial");
      System.out.println("ready");
      System.out.flush();
      Thread.sleep(600_000);
    }
  }
}
