package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host-side layout handling of {@link TfliteRuntime}: NCHW in, outputs back in ONNX order
 * whether the model's output is NHWC or a flattened HWC tensor. Tolerance: none (ReLU and
 * reshapes move int8 values without rounding, so both runtimes give identical numbers).
 */
class TfliteRuntimeTest {
  @TempDir Path dir;

  private static TensorType batched(long... rest) {
    List<Shape.Dim> d = new java.util.ArrayList<>(List.of(new Shape.Dim(-1, "N")));
    for (long r : rest) {
      d.add(new Shape.Dim(r, null));
    }
    return new TensorType(DataType.FLOAT, new Shape(d));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Relu", "Flatten"})
  void outputsComeBackInOnnxOrder(String op) throws Exception {
    GraphBuilder b = new GraphBuilder("layout", 13);
    b.addInput(new Value("x", batched(4, 3, 2)));
    if (op.equals("Relu")) {
      b.add("Relu", "relu", List.of("x"), List.of("y"));
      b.addOutput(new Value("y", batched(4, 3, 2)));
    } else {
      b.add("Flatten", "flatten", List.of("x"), List.of("y"), Attribute.of("axis", 1L));
      b.addOutput(new Value("y", batched(24)));
    }
    // The edgetpu profile's fully int8 placement quantizes a lone Relu or Flatten too.
    Graph qdq =
        EdgeTpuQuantization.quantize(
            b.build(), TestGraphs.randomInputs("x", new long[] {1, 4, 3, 2}, 4, 8, 2f));
    Path onnx = TestGraphs.write(qdq, dir, "layout.onnx");
    Path tflite = dir.resolve("layout.tflite");
    Files.write(tflite, TestGraphs.lowerToBytes(qdq, IoType.INT8));
    Tensor x = Tensor.ofFloats("x", new long[] {2, 4, 3, 2}, TestModels.random(21, 48, 2f));
    try (InferenceSession t =
            new TfliteRuntime().open(tflite, SessionOptions.defaults().withThreads(1));
        InferenceSession o =
            OrtRuntime.get()
                .open(
                    onnx,
                    SessionOptions.defaults()
                        .withThreads(1)
                        .withOptimization(SessionOptions.Optimization.BASIC))) {
      Tensor got = t.run(Map.of("x", x)).get("y");
      Tensor want = o.run(Map.of("x", x)).get("y");
      assertArrayEquals(want.dims(), got.dims(), "ONNX shape, batch of 2 run one sample at a time");
      assertArrayEquals(want.toFloats(), got.toFloats(), 0f);
    }
    assertEquals(
        op.equals("Flatten") ? "FLAT_HWC" : "NHWC",
        new String(
                TfliteFlatbuffers.read(tflite).metadata().get(OnnxToTflite.IO_METADATA),
                java.nio.charset.StandardCharsets.UTF_8)
            .replaceAll(".*\"outputs\".*?\"layout\":\"([A-Z_]+)\".*", "$1"));
  }
}
