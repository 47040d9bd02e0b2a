package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both branches of running Google's Edge TPU compiler, with a fake compiler script on a PATH. */
class EdgeTpuCompilerRunTest {
  @TempDir Path dir;

  /** Writes an executable {@code edgetpu_compiler} script that behaves like the real one's happy or failing path. */
  private Path fakeCompiler(boolean succeeds) throws Exception {
    Path bin = Files.createDirectories(dir.resolve(succeeds ? "bin-ok" : "bin-fail"));
    Path exe = bin.resolve(EdgeTpuCompilerRun.EXECUTABLE);
    String script =
        succeeds
            ? "#!/bin/sh\n# args: --show_operations --out_dir DIR MODEL\nout=\"$3\"; m=\"$4\"; stem=$(basename \"$m\" .tflite)\n"
                + "cp \"$m\" \"$out/${stem}_edgetpu.tflite\"\necho 'Model compiled successfully.' > \"$out/${stem}_edgetpu.log\"\n"
                + "echo 'Edge TPU Compiler version 16.0'\necho 'Model compiled successfully.'\n"
            : "#!/bin/sh\necho 'ERROR: Attempting to use a delegate that only supports static-sized tensors' >&2\nexit 1\n";
    Files.writeString(exe, script);
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  private Path model() throws Exception {
    return Files.write(dir.resolve("model.tflite"), new byte[] {0x1c, 0, 0, 0, 'T', 'F', 'L', '3'});
  }

  @Test
  void aCompilerOnThePathIsFoundAndItsOutputsAndLogKept() throws Exception {
    Path bin = fakeCompiler(true);
    Optional<Path> exe =
        EdgeTpuCompilerRun.locate(dir.resolve("nothing-here") + File.pathSeparator + bin);
    assertEquals(Optional.of(bin.resolve(EdgeTpuCompilerRun.EXECUTABLE)), exe);
    Path out = Files.createDirectories(dir.resolve("out"));
    EdgeTpuCompilerRun r = EdgeTpuCompilerRun.run(model(), out, exe);
    assertTrue(r.found());
    assertEquals(0, r.exitCode());
    assertEquals(
        List.of(out.resolve("model_edgetpu.tflite"), out.resolve("model_edgetpu.log")),
        r.outputs());
    assertTrue(r.log().contains("Model compiled successfully."), r.log());
    assertEquals(
        List.of(
            exe.get().toString(),
            "--show_operations",
            "--out_dir",
            out.toString(),
            model().toString()),
        r.command());
  }

  @Test
  void aFailingCompilerReportsItsExitCodeAndMessage() throws Exception {
    Optional<Path> exe = EdgeTpuCompilerRun.locate(fakeCompiler(false).toString());
    EdgeTpuCompilerRun r =
        EdgeTpuCompilerRun.run(model(), Files.createDirectories(dir.resolve("out2")), exe);
    assertTrue(r.found());
    assertEquals(1, r.exitCode());
    assertTrue(r.log().contains("static-sized tensors"), r.log());
    assertTrue(r.outputs().isEmpty());
  }

  @Test
  void noCompilerOnThePathSaysSoAndWhatTheVerdictRestsOn() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Optional<Path> exe = EdgeTpuCompilerRun.locate(empty.toString());
    assertFalse(exe.isPresent());
    assertFalse(EdgeTpuCompilerRun.locate(null).isPresent());
    EdgeTpuCompilerRun r = EdgeTpuCompilerRun.run(model(), dir, exe);
    assertFalse(r.found());
    assertTrue(r.log().startsWith("edgetpu_compiler not found on the PATH"), r.log());
    assertFalse(r.toMap().containsKey("command"));
  }

  @Test
  void aNonExecutableFileOfThatNameIsNotTheCompiler() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("plain"));
    Files.writeString(bin.resolve(EdgeTpuCompilerRun.EXECUTABLE), "not executable");
    Files.setPosixFilePermissions(bin.resolve(EdgeTpuCompilerRun.EXECUTABLE), Set.of());
    assertFalse(EdgeTpuCompilerRun.locate(bin.toString()).isPresent());
  }
}
