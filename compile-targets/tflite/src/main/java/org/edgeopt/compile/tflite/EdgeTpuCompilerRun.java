package org.edgeopt.compile.tflite;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Google's {@code edgetpu_compiler}, run on the lowered model when it is on the {@code PATH}
 * (it is optional: edgeopt's own checker is the verdict either way), with its log kept for the
 * compatibility report.
 *
 * @param found whether the compiler was found
 * @param command the command line run, or null
 * @param exitCode its exit code (-1 when it did not run or timed out)
 * @param log its combined output, or a note saying why it did not run
 * @param outputs the files it wrote
 */
public record EdgeTpuCompilerRun(
    boolean found, List<String> command, int exitCode, String log, List<Path> outputs) {
  /** The executable looked for on the {@code PATH}. */
  public static final String EXECUTABLE = "edgetpu_compiler";

  public EdgeTpuCompilerRun {
    command = command == null ? null : List.copyOf(command);
    outputs = List.copyOf(outputs);
  }

  /** Returns the executable on the {@code PATH}, if any. */
  public static Optional<Path> locate() {
    return locate(System.getenv("PATH"));
  }

  /** Returns the executable in one of the folders of a {@code PATH}-style list, if any. */
  static Optional<Path> locate(String path) {
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, EXECUTABLE);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Runs the compiler on {@code tflite}, writing into {@code outDir}, or says that it is not installed. */
  public static EdgeTpuCompilerRun run(Path tflite, Path outDir) {
    return run(tflite, outDir, locate());
  }

  /** Runs the compiler {@code exe} on {@code tflite}, or says that it is not installed when empty. */
  static EdgeTpuCompilerRun run(Path tflite, Path outDir, Optional<Path> exe) {
    if (exe.isEmpty()) {
      return new EdgeTpuCompilerRun(
          false,
          null,
          -1,
          EXECUTABLE
              + " not found on the PATH: the verdict is edgeopt's"
              + " own check against the target profile (install the Coral Edge TPU compiler to cross-check)",
          List.of());
    }
    List<String> cmd =
        List.of(
            exe.get().toString(),
            "--show_operations",
            "--out_dir",
            outDir.toString(),
            tflite.toString());
    try {
      Path log = Files.createTempFile("edgetpu_compiler", ".log");
      try {
        Process p =
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
          p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        List<Path> outs = new ArrayList<>();
        String stem = tflite.getFileName().toString().replaceFirst("\\.tflite$", "");
        for (String suffix : List.of("_edgetpu.tflite", "_edgetpu.log")) {
          Path o = outDir.resolve(stem + suffix);
          if (Files.isRegularFile(o)) {
            outs.add(o);
          }
        }
        return new EdgeTpuCompilerRun(
            true, cmd, done ? p.exitValue() : -1, done ? text : text + "\n(timed out)", outs);
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      return new EdgeTpuCompilerRun(true, cmd, -1, "could not run: " + e.getMessage(), List.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new EdgeTpuCompilerRun(true, cmd, -1, "interrupted", List.of());
    }
  }

  /** Returns the run as a JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("found", found);
    if (command != null) {
      m.put("command", command);
      m.put("exitCode", exitCode);
      m.put("outputs", outputs.stream().map(Path::toString).toList());
    }
    m.put("log", log);
    return m;
  }
}
