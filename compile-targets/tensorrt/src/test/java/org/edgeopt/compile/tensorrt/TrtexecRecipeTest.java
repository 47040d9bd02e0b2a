package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrtexecRecipeTest {
  private static final InputShape DYNAMIC =
      new InputShape(
          "input",
          new long[] {1, 1, 28, 28},
          new long[] {1, 1, 28, 28},
          new long[] {16, 1, 28, 28});

  @Test
  void int8SparseDynamicBatchRecipeForTensorRt10() {
    TrtexecRecipe r =
        new TrtexecRecipe(
            "tensorrt-ampere", "model.trt-qdq.onnx", "int8", true, 5, List.of(DYNAMIC), null);
    assertEquals(
        List.of(
            "--onnx=model.trt-qdq.onnx",
            "--int8",
            "--fp16",
            "--sparsity=enable",
            "--minShapes=input:1x1x28x28",
            "--optShapes=input:1x1x28x28",
            "--maxShapes=input:16x1x28x28",
            "--saveEngine=model.engine",
            "--timingCacheFile=timing.cache"),
        r.arguments10());
    String text = r.render();
    assertTrue(text.startsWith("#!/bin/sh\n"));
    assertTrue(
        text.contains("# \"$TRTEXEC\" --onnx=model.trt-qdq.onnx --stronglyTyped --sparsity=enable"),
        text);
    assertFalse(text.contains("--calib"), "no calibration cache line without a cache");
  }

  @Test
  void fp16StaticRecipeHasNoInt8NoSparsityAndNoShapes() {
    InputShape fixed =
        new InputShape(
            "Input3",
            new long[] {1, 1, 28, 28},
            new long[] {1, 1, 28, 28},
            new long[] {1, 1, 28, 28});
    TrtexecRecipe r =
        new TrtexecRecipe(
            "tensorrt-jetson-orin",
            "model.trt.onnx",
            "fp16",
            false,
            0,
            List.of(fixed),
            "calibration.cache");
    assertEquals(
        List.of(
            "--onnx=model.trt.onnx",
            "--fp16",
            "--saveEngine=model.engine",
            "--timingCacheFile=timing.cache"),
        r.arguments10());
    assertTrue(r.render().contains("--int8 --calib=calibration.cache"));
  }

  @Test
  void argumentsWithShellCharactersAreQuoted() {
    assertEquals("--onnx=model.onnx", TrtexecRecipe.quote("--onnx=model.onnx"));
    assertEquals("'--minShapes=input 1:1x3'", TrtexecRecipe.quote("--minShapes=input 1:1x3"));
    assertEquals("'it'\\''s'", TrtexecRecipe.quote("it's"));
  }

  @Test
  void scriptIsWrittenExecutableAndAtomically(@TempDir Path dir) throws Exception {
    TrtexecRecipe r =
        new TrtexecRecipe(
            "tensorrt-ampere", "model.trt-qdq.onnx", "int8", true, 0, List.of(DYNAMIC), null);
    Path script = dir.resolve("out/trtexec.sh");
    r.write(script);
    r.write(script);
    assertTrue(Files.isExecutable(script));
    assertEquals(r.render(), Files.readString(script));
    try (var s = Files.list(script.getParent())) {
      assertEquals(List.of(script), s.toList(), "no temporary files left behind");
    }
    Process p = new ProcessBuilder("sh", "-n", script.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "sh -n finds a syntax error: " + out);
  }
}
