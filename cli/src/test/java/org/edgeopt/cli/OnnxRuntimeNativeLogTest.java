package org.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: ONNX Runtime's native log lines (ANSI colour codes) came out before edgeopt's own
 * lines. Native output bypasses Java's streams, so this runs the command in a child JVM.
 */
class OnnxRuntimeNativeLogTest {
  @TempDir Path dir;

  record Result(int code, String stderr) {}

  private Result edgeopt(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    cmd.addAll(List.of(args));
    Path err = dir.resolve("stderr-" + System.nanoTime() + ".txt");
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(err.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the child JVM ends");
    return new Result(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void outputShapeDeclared1x5WhereTheModelMakes1x10LogsNothingNativeUnlessVerbose()
      throws Exception {
    Graph g = OnnxModels.read(SampleModels.fashionMnist().model());
    Value out = g.outputs().get(0);
    Graph bad =
        new GraphBuilder(g)
            .setOutputs(List.of(new Value(out.name(), TensorType.of(DataType.FLOAT, 1, 5))))
            .build();
    Path model = dir.resolve("shape-1x5.onnx");
    OnnxModels.write(bad, model);

    Result quiet =
        edgeopt(
            "compile",
            model.toString(),
            "--target",
            "onnxruntime-cpu",
            "-o",
            dir.resolve("q").toString());
    assertEquals(0, quiet.code(), quiet.stderr());
    assertFalse(
        quiet.stderr().contains("\u001b["), "no ANSI-coloured native log lines: " + quiet.stderr());
    assertFalse(quiet.stderr().contains("onnxruntime"), quiet.stderr());

    Result verbose =
        edgeopt(
            "compile",
            model.toString(),
            "--target",
            "onnxruntime-cpu",
            "-o",
            dir.resolve("v").toString(),
            "-v");
    assertEquals(0, verbose.code(), verbose.stderr());
    assertTrue(
        verbose.stderr().contains("Error merging shape info"),
        "shown under -v: " + verbose.stderr());
  }
}
