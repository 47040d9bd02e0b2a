package org.edgeopt.compile.tflite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.testing.TestModels;

/**
 * Test-side stand-ins for the ingest module (BatchNormalization folding, constant folding of
 * reshaped weights, FP16 to FP32 upcast) and small helpers shared by the tests.
 */
final class TestGraphs {
  private TestGraphs() {}

  /** Folds every Conv -> BatchNormalization pair into the Conv's weights and bias. */
  static Graph foldBatchNorm(Graph g) {
    GraphBuilder b = g.toBuilder();
    Map<String, Node> producers = g.producers();
    for (Node bn : g.nodes()) {
      if (!bn.opType().equals("BatchNormalization")) {
        continue;
      }
      Node conv = producers.get(bn.input(0));
      float[] scale = g.initializers().get(bn.input(1)).toFloats();
      float[] bias = g.initializers().get(bn.input(2)).toFloats();
      float[] mean = g.initializers().get(bn.input(3)).toFloats();
      float[] var = g.initializers().get(bn.input(4)).toFloats();
      float eps = bn.floatAttr("epsilon", 1e-5f);
      Tensor w = g.initializers().get(conv.input(1));
      float[] wf = w.toFloats();
      int out = (int) w.dim(0);
      int per = wf.length / out;
      float[] bf =
          conv.input(2).isEmpty() ? new float[out] : g.initializers().get(conv.input(2)).toFloats();
      for (int o = 0; o < out; o++) {
        float k = scale[o] / (float) Math.sqrt(var[o] + eps);
        for (int i = 0; i < per; i++) {
          wf[o * per + i] *= k;
        }
        bf[o] = (bf[o] - mean[o]) * k + bias[o];
      }
      String wName = b.uniqueName(conv.input(1) + "_bnfolded");
      String bName = b.uniqueName(conv.name() + "_bias_bnfolded");
      b.addInitializer(Tensor.ofFloats(wName, w.dims(), wf));
      b.addInitializer(Tensor.ofFloats(bName, new long[] {out}, bf));
      b.replaceNode(
          conv.withInputs(List.of(conv.input(0), wName, bName)).withOutputs(List.of(bn.output())));
      b.removeNode(bn.name());
    }
    return b.removeUnused().build();
  }

  /** Folds Reshape nodes whose data and shape are both initializers (mnist-7's weight reshape). */
  static Graph foldConstantReshapes(Graph g) {
    GraphBuilder b = g.toBuilder();
    for (Node n : g.nodes()) {
      if (n.opType().equals("Reshape")
          && g.initializers().containsKey(n.input(0))
          && g.initializers().containsKey(n.input(1))) {
        Tensor data = g.initializers().get(n.input(0));
        long[] shape = g.initializers().get(n.input(1)).toLongs();
        long known = 1;
        int unknown = -1;
        for (int i = 0; i < shape.length; i++) {
          if (shape[i] == -1) {
            unknown = i;
          } else {
            known *= shape[i] == 0 ? data.dim(i) : shape[i];
            shape[i] = shape[i] == 0 ? data.dim(i) : shape[i];
          }
        }
        if (unknown >= 0) {
          shape[unknown] = data.elementCount() / known;
        }
        b.addInitializer(new Tensor(n.output(), data.dataType(), shape, data.data()));
        b.removeNode(n.name());
      }
    }
    return b.removeUnused().build();
  }

  /**
   * Turns Constant nodes into initializers and Shape nodes of statically shaped values into
   * int64 initializers (what the ONNX version converter leaves around an opset-13 Softmax).
   */
  static Graph foldConstants(Graph g) throws EdgeoptException {
    Graph typed =
        org.edgeopt.core.onnx.OnnxChecker.inferShapes(OnnxToTflite.nameNodes(g), g.name());
    GraphBuilder b = typed.toBuilder();
    for (Node n : typed.nodes()) {
      if (n.opType().equals("Constant") && n.attribute("value").isPresent()) {
        b.addInitializer(n.attribute("value").get().asTensor().withName(n.output()));
        b.removeNode(n.name());
      } else if (n.opType().equals("Shape")
          && typed.shape(n.input(0)).map(Shape::isStatic).orElse(false)) {
        long[] dims = typed.shape(n.input(0)).get().sizes();
        b.addInitializer(Tensor.ofLongs(n.output(), new long[] {dims.length}, dims));
        b.removeNode(n.name());
      }
    }
    return b.removeUnused().build();
  }

  /** Returns the graph with FP16 weights, inputs and outputs turned into FP32 (exact). */
  static Graph upcastFp16(Graph g) {
    GraphBuilder b = g.toBuilder();
    for (Tensor t : g.initializers().values()) {
      if (t.dataType() == DataType.FLOAT16) {
        b.addInitializer(Tensor.ofFloats(t.name(), t.dims(), t.toFloats()));
      }
    }
    List<Value> ins = new ArrayList<>();
    for (Value v : g.inputs()) {
      ins.add(float32(v));
    }
    List<Value> outs = new ArrayList<>();
    for (Value v : g.outputs()) {
      outs.add(float32(v));
    }
    return b.setInputs(ins).setOutputs(outs).clearValueInfo().build();
  }

  private static Value float32(Value v) {
    if (!v.hasType() || v.type().dataType() != DataType.FLOAT16) {
      return v;
    }
    return new Value(v.name(), new TensorType(DataType.FLOAT, v.type().shape()));
  }

  /** The core test CNN (opset 13) with its BatchNormalization folded. */
  static Graph smallCnn() {
    return foldBatchNorm(TestModels.smallCnn(13));
  }

  /** Returns {@code count} seeded single-sample inputs for a model input of the given shape. */
  static List<Map<String, Tensor>> randomInputs(
      String name, long[] shape, int count, long seed, float scale) {
    List<Map<String, Tensor>> l = new ArrayList<>();
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    for (int i = 0; i < count; i++) {
      l.add(Map.of(name, Tensor.ofFloats(name, shape, TestModels.random(seed + i, n, scale))));
    }
    return l;
  }

  /** Returns a shape with its dynamic batch dimension set to 1. */
  static long[] staticShape(Shape s) {
    long[] d = s.sizes();
    if (d.length > 0 && d[0] < 0) {
      d[0] = 1;
    }
    return d;
  }

  /** Writes a graph to {@code dir/name}. */
  static Path write(Graph g, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path p = dir.resolve(name);
    OnnxModels.write(g, p);
    return p;
  }

  /** Lowers a QDQ graph completely (fails the test when a node does not map) and returns the flatbuffer. */
  static byte[] lowerToBytes(Graph qdq, IoType io) throws EdgeoptException {
    OnnxToTflite.Result r = OnnxToTflite.lower(qdq, io, Map.of("source", qdq.name()), qdq.name());
    if (!r.complete()) {
      throw new AssertionError("lowering stopped: " + r.unmapped().message());
    }
    return TfliteFlatbuffers.write(r.model());
  }
}
