package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One-operator QDQ models, each lowered to TFLite and run in the TFLite interpreter against ONNX
 * Runtime on random int8 inputs. Tolerance: every int8 output within 1 quantization step of the
 * QDQ reference (integer kernels round once where the QDQ graph computes in float).
 */
class OpLoweringTest {
  @TempDir Path dir;

  /** One case: a name, the model's input shape, how to build the graph from "x" to "y", the TFLite ops expected. */
  record Case(String name, long[] input, Consumer<GraphBuilder> body, List<String> ops) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() {
    List<Case> c = new ArrayList<>();
    c.add(
        new Case(
            "conv 3x3 SAME + fused ReLU",
            new long[] {1, 3, 8, 8},
            b -> {
              weights(b, "w", 4, 3, 3, 3);
              bias(b, "b", 4);
              b.add(
                  "Conv",
                  "conv",
                  List.of("x", "w", "b"),
                  List.of("c"),
                  Attribute.of("kernel_shape", new long[] {3, 3}),
                  Attribute.of("pads", new long[] {1, 1, 1, 1}));
              b.add("Relu", "relu", List.of("c"), List.of("y"));
            },
            List.of("CONV_2D")));
    c.add(
        new Case(
            "conv 3x3 stride 2 VALID",
            new long[] {1, 3, 9, 9},
            b -> {
              weights(b, "w", 5, 3, 3, 3);
              bias(b, "b", 5);
              b.add(
                  "Conv",
                  "conv",
                  List.of("x", "w", "b"),
                  List.of("y"),
                  Attribute.of("kernel_shape", new long[] {3, 3}),
                  Attribute.of("strides", new long[] {2, 2}));
            },
            List.of("CONV_2D")));
    c.add(
        new Case(
            "conv 2x2 asymmetric pads (explicit PAD)",
            new long[] {1, 2, 6, 6},
            b -> {
              weights(b, "w", 3, 2, 2, 2);
              b.add(
                  "Conv",
                  "conv",
                  List.of("x", "w"),
                  List.of("y"),
                  Attribute.of("kernel_shape", new long[] {2, 2}),
                  Attribute.of("pads", new long[] {1, 0, 0, 1}));
            },
            List.of("PAD", "CONV_2D")));
    c.add(
        new Case(
            "depthwise 3x3 multiplier 2 + fused ReLU6",
            new long[] {1, 4, 8, 8},
            b -> {
              weights(b, "w", 8, 1, 3, 3);
              bias(b, "b", 8);
              b.add(
                  "Conv",
                  "dw",
                  List.of("x", "w", "b"),
                  List.of("c"),
                  Attribute.of("kernel_shape", new long[] {3, 3}),
                  Attribute.of("pads", new long[] {1, 1, 1, 1}),
                  Attribute.of("group", 4L));
              b.addInitializer(Tensor.scalar("lo", 0f));
              b.addInitializer(Tensor.scalar("hi", 6f));
              b.add("Clip", "clip", List.of("c", "lo", "hi"), List.of("y"));
            },
            List.of("DEPTHWISE_CONV_2D")));
    c.add(
        new Case(
            "Gemm transB",
            new long[] {1, 16},
            b -> {
              weights(b, "w", 5, 16);
              bias(b, "b", 5);
              b.add("Gemm", "fc", List.of("x", "w", "b"), List.of("y"), Attribute.of("transB", 1L));
            },
            List.of("FULLY_CONNECTED")));
    c.add(
        new Case(
            "MatMul",
            new long[] {1, 16},
            b -> {
              weights(b, "w", 16, 6);
              b.add("MatMul", "mm", List.of("x", "w"), List.of("y"));
            },
            List.of("FULLY_CONNECTED")));
    c.add(
        new Case(
            "Flatten of NCHW into Gemm (weights permuted to HWC)",
            new long[] {1, 4, 3, 3},
            b -> {
              b.add("Flatten", "flat", List.of("x"), List.of("f"), Attribute.of("axis", 1L));
              weights(b, "w", 5, 36);
              bias(b, "b", 5);
              b.add("Gemm", "fc", List.of("f", "w", "b"), List.of("y"), Attribute.of("transB", 1L));
            },
            List.of("RESHAPE", "FULLY_CONNECTED")));
    c.add(
        new Case(
            "Add of two activations",
            new long[] {1, 3, 5, 5},
            b -> {
              b.add("Relu", "relu", List.of("x"), List.of("r"));
              b.add("Add", "add", List.of("r", "x"), List.of("y"));
            },
            List.of("RELU", "ADD")));
    c.add(
        new Case(
            "Add broadcasting a [C,1,1] constant",
            new long[] {1, 4, 5, 5},
            b -> {
              b.addInitializer(
                  Tensor.ofFloats("k", new long[] {4, 1, 1}, new float[] {0.5f, -1f, 0.25f, 1.5f}));
              b.add("Add", "add", List.of("x", "k"), List.of("y"));
            },
            List.of("ADD")));
    c.add(
        new Case(
            "Sub of a constant",
            new long[] {1, 6},
            b -> {
              b.addInitializer(Tensor.ofFloats("k", new long[] {6}, TestModels.random(7, 6, 1f)));
              b.add("Sub", "sub", List.of("x", "k"), List.of("y"));
            },
            List.of("SUB")));
    c.add(
        new Case(
            "Mul of two activations",
            new long[] {1, 2, 4, 4},
            b -> {
              b.add("Relu", "relu", List.of("x"), List.of("r"));
              b.add("Mul", "mul", List.of("x", "r"), List.of("y"));
            },
            List.of("RELU", "MUL")));
    c.add(
        new Case(
            "MaxPool 2x2 stride 2",
            new long[] {1, 3, 8, 8},
            b ->
                b.add(
                    "MaxPool",
                    "pool",
                    List.of("x"),
                    List.of("y"),
                    Attribute.of("kernel_shape", new long[] {2, 2}),
                    Attribute.of("strides", new long[] {2, 2})),
            List.of("MAX_POOL_2D")));
    c.add(
        new Case(
            "MaxPool 3x3 stride 2 pads 1 after ReLU (explicit PAD)",
            new long[] {1, 3, 8, 8},
            b -> {
              b.add("Relu", "relu", List.of("x"), List.of("r"));
              b.add(
                  "MaxPool",
                  "pool",
                  List.of("r"),
                  List.of("y"),
                  Attribute.of("kernel_shape", new long[] {3, 3}),
                  Attribute.of("strides", new long[] {2, 2}),
                  Attribute.of("pads", new long[] {1, 1, 1, 1}));
            },
            List.of("RELU", "PAD", "MAX_POOL_2D")));
    c.add(
        new Case(
            "AveragePool 2x2 stride 2",
            new long[] {1, 3, 8, 8},
            b ->
                b.add(
                    "AveragePool",
                    "pool",
                    List.of("x"),
                    List.of("y"),
                    Attribute.of("kernel_shape", new long[] {2, 2}),
                    Attribute.of("strides", new long[] {2, 2})),
            List.of("AVERAGE_POOL_2D")));
    c.add(
        new Case(
            "AveragePool 3x3 SAME excluding pads",
            new long[] {1, 2, 6, 6},
            b ->
                b.add(
                    "AveragePool",
                    "pool",
                    List.of("x"),
                    List.of("y"),
                    Attribute.of("kernel_shape", new long[] {3, 3}),
                    Attribute.of("pads", new long[] {1, 1, 1, 1})),
            List.of("AVERAGE_POOL_2D")));
    c.add(
        new Case(
            "GlobalAveragePool",
            new long[] {1, 5, 4, 4},
            b -> b.add("GlobalAveragePool", "gap", List.of("x"), List.of("y")),
            List.of("MEAN")));
    c.add(
        new Case(
            "Concat on the channel axis",
            new long[] {1, 3, 4, 4},
            b -> {
              b.add("Relu", "relu", List.of("x"), List.of("r"));
              b.add("Concat", "cat", List.of("x", "r"), List.of("y"), Attribute.of("axis", 1L));
            },
            List.of("RELU", "CONCATENATION")));
    c.add(
        new Case(
            "Reshape [1,1,4,4] to [1,16]",
            new long[] {1, 1, 4, 4},
            b -> {
              b.addInitializer(Tensor.ofLongs("s", new long[] {2}, new long[] {1, 16}));
              b.add("Reshape", "reshape", List.of("x", "s"), List.of("y"));
            },
            List.of("RESHAPE")));
    c.add(
        new Case(
            "Softmax",
            new long[] {1, 10},
            b -> b.add("Softmax", "softmax", List.of("x"), List.of("y")),
            List.of("SOFTMAX")));
    c.add(
        new Case(
            "Softmax over channels of [1,C,1,1]",
            new long[] {1, 10, 1, 1},
            b -> b.add("Softmax", "softmax", List.of("x"), List.of("y"), Attribute.of("axis", 1L)),
            List.of("SOFTMAX")));
    c.add(
        new Case(
            "Pad H and W",
            new long[] {1, 3, 4, 4},
            b -> {
              b.addInitializer(
                  Tensor.ofLongs("p", new long[] {8}, new long[] {0, 0, 1, 2, 0, 0, 2, 1}));
              b.add("Pad", "pad", List.of("x", "p"), List.of("y"));
            },
            List.of("PAD")));
    c.add(
        new Case(
            "Resize nearest x2 (asymmetric, floor)",
            new long[] {1, 3, 4, 4},
            b -> {
              b.addInitializer(Tensor.ofFloats("sc", new long[] {4}, new float[] {1, 1, 2, 2}));
              b.add(
                  "Resize",
                  "resize",
                  List.of("x", "", "sc"),
                  List.of("y"),
                  Attribute.of("mode", "nearest"),
                  Attribute.of("coordinate_transformation_mode", "asymmetric"),
                  Attribute.of("nearest_mode", "floor"));
            },
            List.of("RESIZE_NEAREST_NEIGHBOR")));
    c.add(
        new Case(
            "Resize bilinear x2 (half pixel)",
            new long[] {1, 2, 4, 4},
            b -> {
              b.addInitializer(Tensor.ofFloats("sc", new long[] {4}, new float[] {1, 1, 2, 2}));
              b.add(
                  "Resize",
                  "resize",
                  List.of("x", "", "sc"),
                  List.of("y"),
                  Attribute.of("mode", "linear"),
                  Attribute.of("coordinate_transformation_mode", "half_pixel"));
            },
            List.of("RESIZE_BILINEAR")));
    c.add(
        new Case(
            "standalone ReLU6",
            new long[] {1, 8},
            b -> {
              b.addInitializer(Tensor.scalar("lo", 0f));
              b.addInitializer(Tensor.scalar("hi", 6f));
              b.add("Clip", "clip", List.of("x", "lo", "hi"), List.of("y"));
            },
            List.of("RELU6")));
    return c.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void lowersAndMatchesOnnxRuntimeWithinOneStep(Case c) throws Exception {
    Graph fp32 = build(c);
    // Calibrated and quantized by the real modules for the edgetpu profile, whose fully int8
    // placement puts QDQ on the graph input and output of the one op under test.
    Graph qdq =
        EdgeTpuQuantization.quantize(fp32, TestGraphs.randomInputs("x", c.input(), 12, 100, 3f));
    byte[] bytes = TestGraphs.lowerToBytes(qdq, IoType.INT8);
    TfliteModel m = TfliteFlatbuffers.read(bytes, c.name());
    List<String> ops = m.operators().stream().map(TfliteModel.Operator::name).toList();
    assertEquals(c.ops(), ops, "TFLite operators for " + c.name());
    assertFalse(ops.contains("TRANSPOSE"));
    Path onnx = TestGraphs.write(qdq, dir, "op.onnx");
    Path tflite = dir.resolve("op.tflite");
    Files.write(tflite, bytes);
    VerificationReport v = TfliteVerifier.verifyRandom(onnx, tflite, 6, 42);
    assertTrue(v.maxAbsDiffSteps() <= 1.0, c.name() + ": " + v.summary());
  }

  /**
   * A Pad of quantized values on the channel axis with the zero point as its value, as the
   * quantizer writes for ONNX Runtime (3 input channels padded to 4, zero weights): lowers to PAD
   * and CONV_2D and computes what the QDQ model does.
   */
  @Test
  void quantizedChannelPadWithTheZeroPointLowersToPad() throws Exception {
    Case conv =
        new Case(
            "conv",
            new long[] {1, 3, 6, 6},
            b -> {
              weights(b, "w", 8, 3, 3, 3);
              b.add(
                  "Conv",
                  "conv",
                  List.of("x", "w"),
                  List.of("y"),
                  Attribute.of("kernel_shape", new long[] {3, 3}));
            },
            List.of());
    Graph qdq =
        EdgeTpuQuantization.quantize(
            build(conv), TestGraphs.randomInputs("x", conv.input(), 12, 100, 3f));
    GraphBuilder b = qdq.toBuilder();
    Node convNode =
        qdq.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
    Node xdq = qdq.producer(convNode.input(0)).orElseThrow();
    Node wdq = qdq.producer(convNode.input(1)).orElseThrow();
    Tensor w = qdq.initializers().get(wdq.input(0));
    byte[] from = new byte[(int) w.elementCount()];
    w.data().duplicate().get(from);
    byte[] to = new byte[8 * 4 * 9];
    for (int o = 0; o < 8; o++) {
      System.arraycopy(from, o * 27, to, o * 36, 27);
    }
    b.addInitializer(Tensor.ofBytes("w_padded", w.dataType(), new long[] {8, 4, 3, 3}, to));
    b.replaceNode(wdq.withInputs(List.of("w_padded", wdq.input(1), wdq.input(2))));
    b.addInitializer(
        Tensor.ofLongs("channel_pads", new long[] {8}, new long[] {0, 0, 0, 0, 0, 1, 0, 0}));
    b.add(
        "Pad",
        "pad_channels",
        List.of(xdq.input(0), "channel_pads", xdq.input(2)),
        List.of("x_padded"));
    b.replaceNode(xdq.withInputs(List.of("x_padded", xdq.input(1), xdq.input(2))));
    Graph padded = b.removeUnused().build();
    byte[] bytes = TestGraphs.lowerToBytes(padded, IoType.INT8);
    List<String> ops =
        TfliteFlatbuffers.read(bytes, "padded").operators().stream()
            .map(TfliteModel.Operator::name)
            .toList();
    assertEquals(List.of("PAD", "CONV_2D"), ops);
    Path onnx = TestGraphs.write(padded, dir, "padded.onnx");
    Path tflite = dir.resolve("padded.tflite");
    Files.write(tflite, bytes);
    VerificationReport v = TfliteVerifier.verifyRandom(onnx, tflite, 6, 42);
    assertTrue(v.maxAbsDiffSteps() <= 1.0, v.summary());
  }

  static Graph build(Case c) throws Exception {
    GraphBuilder b = new GraphBuilder("op", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, c.input())));
    c.body().accept(b);
    b.addOutput(new Value("y", null));
    Graph g = OnnxChecker.inferShapes(b.build(), c.name());
    return g.toBuilder().setOutputs(List.of(new Value("y", g.type("y").orElseThrow()))).build();
  }

  static void weights(GraphBuilder b, String name, long... dims) {
    int n = 1;
    for (long d : dims) {
      n *= (int) d;
    }
    b.addInitializer(Tensor.ofFloats(name, dims, TestModels.random(name.hashCode(), n, 0.6f)));
  }

  static void bias(GraphBuilder b, String name, int n) {
    b.addInitializer(
        Tensor.ofFloats(name, new long[] {n}, TestModels.random(name.hashCode() + 1, n, 0.3f)));
  }
}
