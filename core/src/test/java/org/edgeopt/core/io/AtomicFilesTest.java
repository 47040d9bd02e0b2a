package org.edgeopt.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Returns the PID of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    long pid = p.pid();
    assertFalse(
        ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the process has ended");
    return pid;
  }

  @Test
  void executableScriptsAreWrittenWithMode755AndNoTemporaryLeft() throws Exception {
    Path script = dir.resolve("bin").resolve("trtexec.sh");
    AtomicFiles.writeExecutable(script, "#!/bin/sh\necho ok\n");
    assertEquals("#!/bin/sh\necho ok\n", Files.readString(script));
    assertEquals(
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"),
        Files.getPosixFilePermissions(script));
    assertEquals(List.of("trtexec.sh"), names(script.getParent()));
  }

  @Test
  void writtenFileHasTheUmaskModeNotOwnerOnly() throws Exception {
    Path plain = Files.createFile(dir.resolve("plain.txt"));
    Path written = dir.resolve("model.onnx");
    AtomicFiles.writeString(written, "x");
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written));
    assertEquals(List.of("model.onnx", "plain.txt"), names(dir));
  }

  @Test
  void staleTempFileAndFolderOfADeadPidAreRemovedAtTheNextWrite() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("out"));
    long dead = deadPid();
    Files.writeString(sub.resolve(".model.int8.onnx." + dead + ".3.tmp"), "left by SIGKILL");
    Files.writeString(
        Files.createDirectories(sub.resolve(".staging." + dead + ".4.tmp")).resolve("report.json"),
        "{}");
    Files.writeString(sub.resolve(".keep.me.tmp"), "not one of ours");
    AtomicFiles.writeString(sub.resolve("calibration.json"), "{}");
    assertEquals(List.of(".keep.me.tmp", "calibration.json"), names(sub));
  }

  @Test
  void tempFileOfALiveProcessIsKept() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("live"));
    long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow();
    String name = ".model.onnx." + parent + ".1.tmp";
    Files.writeString(sub.resolve(name), "another edgeopt still writing");
    AtomicFiles.writeString(sub.resolve("model.onnx"), "x");
    assertEquals(List.of(name, "model.onnx"), names(sub));
  }

  @Test
  void writeAllWithOneTargetUnderARegularFileWritesNothing() throws Exception {
    Path blocker = Files.writeString(dir.resolve("file"), "x");
    Map<Path, byte[]> files = new LinkedHashMap<>();
    files.put(dir.resolve("calibration.json"), new byte[] {1});
    files.put(blocker.resolve("calibration.cache"), new byte[] {2});
    assertThrows(IOException.class, () -> AtomicFiles.writeAll(files));
    assertEquals(List.of("file"), names(dir));
  }

  @Test
  void stagingThatIsNotCommittedLeavesNothing() throws Exception {
    try (AtomicFiles.Staging s = AtomicFiles.stage(dir)) {
      Files.writeString(s.file("report.json"), "{}");
      Files.writeString(s.file("report.html"), "<p>");
    }
    assertEquals(List.of(), names(dir));
    try (AtomicFiles.Staging s = AtomicFiles.stage(dir)) {
      Files.writeString(s.file("report.json"), "{}");
      Files.writeString(s.file("report.html"), "<p>");
      assertEquals(
          List.of(
              dir.resolve("report.json").toAbsolutePath(),
              dir.resolve("report.html").toAbsolutePath()),
          s.commit());
    }
    assertEquals(List.of("report.html", "report.json"), names(dir));
  }

  @Test
  void sigtermOfAWriterRemovesItsTempFileAndStagingFolder() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("signal"));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                HoldsATempFile.class.getName(),
                sub.resolve("model.onnx").toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", r.readLine());
      assertEquals(2, names(sub).size(), "a temp file and a staging folder: " + names(sub));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    }
    assertEquals(List.of(), names(sub), "the shutdown hook removed both");
  }
}
