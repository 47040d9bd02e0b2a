package org.edgeopt.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;

/** Ingest of the third-party models in ../shared/real-models: the normalised model must compute what the original does. */
class IngestorRealModelsTest {
  private static final SessionOptions OPTS = SessionOptions.defaults().withThreads(1);

  static Path shared(String rel) {
    Path p = SharedModels.find(rel).orElse(null);
    assumeTrue(p != null, SharedModels.missingReason(rel));
    return p;
  }

  static Tensor run(Path model, Tensor input) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(model, OPTS)) {
      return s.run(Map.of(s.inputNames().get(0), input)).values().iterator().next();
    }
  }

  static Tensor run(Graph g, Tensor input) throws Exception {
    try (InferenceSession s = OrtRuntime.get().open(g, OPTS)) {
      return s.run(Map.of(s.inputNames().get(0), input)).values().iterator().next();
    }
  }

  static double maxAbsDiff(Tensor a, Tensor b) {
    float[] x = a.toFloats();
    float[] y = b.toFloats();
    assertEquals(x.length, y.length);
    double m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs((double) x[i] - y[i]));
    }
    return m;
  }

  static long initializerSum(Graph g) {
    long n = 0;
    for (Tensor t : g.initializers().values()) {
      long c = 1;
      for (long d : t.dims()) {
        c *= d;
      }
      n += c;
    }
    return n;
  }

  @Test
  void mnist7IsUpgradedAndComputesTheSameLogits() throws Exception {
    Path model = shared("mnist-7/mnist.onnx");
    IngestResult r = new Ingestor().ingest(model, IngestOptions.defaults());
    Graph g = r.graph();
    assertEquals(13, g.opset());
    assertEquals(initializerSum(g), r.card().parameterCount());
    assertEquals(initializerSum(OnnxModels.read(model)), r.card().source().parameterCount());
    assertEquals(List.of("Plus214_Output_0"), g.outputs().stream().map(Value::name).toList());
    // Conv 8x5x5 on 28x28 + Conv 16x8x5x5 on 14x14 + MatMul 256x10.
    assertEquals(8 * 28 * 28 * 25 + 16 * 14 * 14 * 8 * 25 + 256 * 10, r.card().totalMacs());
    // Raw pixels 0..255 make logits of magnitude ~1e3; 1e-3 absolute is float rounding there.
    double worst = 0;
    for (long seed = 1; seed <= 5; seed++) {
      float[] px = TestModels.random(seed, 784, 127.5f);
      for (int i = 0; i < px.length; i++) {
        px[i] += 127.5f;
      }
      Tensor in = Tensor.ofFloats("Input3", new long[] {1, 1, 28, 28}, px);
      worst = Math.max(worst, maxAbsDiff(run(model, in), run(g, in)));
    }
    assertTrue(worst <= 1e-3, "mnist-7 original vs normalised: max abs diff " + worst + " > 1e-3");
    System.out.printf(
        "mnist-7: max abs logit diff original vs normalised over 5 random inputs: %.3g%n", worst);
  }

  @Test
  void squeezeNetBecomesFp32AtOpset13AndKeepsItsTop1() throws Exception {
    Path model = shared("squeezenet-1.0/SqueezeNet_fp16.onnx");
    IngestResult r = new Ingestor().ingest(model, IngestOptions.defaults());
    Graph g = r.graph();
    assertTrue(g.opset() >= 13, "opset " + g.opset());
    assertTrue(g.initializers().values().stream().noneMatch(t -> t.dataType() == DataType.FLOAT16));
    assertTrue(
        g.initializers().values().stream()
            .filter(t -> t.dataType().isFloat())
            .allMatch(t -> t.dataType() == DataType.FLOAT));
    assertTrue(g.inputs().stream().allMatch(v -> v.type().dataType() == DataType.FLOAT));
    assertTrue(g.outputs().stream().allMatch(v -> v.type().dataType() == DataType.FLOAT));
    assertEquals(0, g.opHistogram().getOrDefault("Dropout", 0));
    assertEquals(initializerSum(g), r.card().parameterCount());
    Preprocessing pre = Preprocessing.parse("channels=bgr,mean=104:117:123");
    // kitten_224.png is a tabby cat (ImageNet 281). fish.png only has to keep whatever class the
    // original gives it.
    Map<String, Integer> expected = new java.util.LinkedHashMap<>();
    expected.put("kitten_224.png", 281);
    expected.put("fish.png", -1);
    for (var e : expected.entrySet()) {
      Tensor img = Images.read(shared("squeezenet-1.0/" + e.getKey()), pre);
      Tensor fp16 = Tensor.ofFloat16("data_0", img.dims(), img.toFloats());
      Tensor before = run(model, fp16);
      Tensor after = run(g, Tensor.ofFloats("data_0", img.dims(), fp16.toFloats()));
      int top1Before = BatchRunner.argmax(before.toFloats(), 0, 1000);
      int top1After = BatchRunner.argmax(after.toFloats(), 0, 1000);
      if (e.getValue() >= 0) {
        assertEquals(e.getValue(), top1Before, e.getKey() + " original top-1");
      }
      assertEquals(top1Before, top1After, e.getKey() + " normalised top-1");
      // The original computes in FP16 (about 3 significant digits); softmax outputs lie in [0, 1].
      double diff = maxAbsDiff(before, after);
      assertTrue(
          diff <= 1e-3,
          e.getKey() + ": max abs softmax diff FP16 original vs FP32 normalised " + diff);
      System.out.printf(
          "squeezenet %s: top-1 %d before and after, max abs softmax diff %.3g%n",
          e.getKey(), top1After, diff);
    }
  }
}
