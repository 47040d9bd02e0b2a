package org.edgeopt.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverwriteGuardTest {
  @TempDir Path dir;

  @Test
  void outputThroughASymlinkToTheInputIsRefused() throws Exception {
    Path input = Files.writeString(dir.resolve("m.onnx"), "x");
    Path link = Files.createSymbolicLink(dir.resolve("link.onnx"), input);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> OverwriteGuard.refuse(Map.of("the input model", input), Map.of("-o", link)));
    assertEquals(ExitCode.USAGE, e.exitCode());
    assertEquals(
        "-o "
            + link
            + " would overwrite the input model "
            + input
            + ": expected an output path that is not one of "
            + "the command's inputs (nothing was written)",
        e.getMessage());
  }

  @Test
  void distinctPathsAndAbsentOptionsPass() throws Exception {
    Map<String, Path> inputs = new HashMap<>();
    inputs.put("the input model", dir.resolve("m.onnx"));
    inputs.put("--reference", null);
    Map<String, Path> outputs = new HashMap<>();
    outputs.put("-o", dir.resolve("m.int8.onnx"));
    outputs.put("--trt-cache", null);
    OverwriteGuard.refuse(inputs, outputs);
  }
}
