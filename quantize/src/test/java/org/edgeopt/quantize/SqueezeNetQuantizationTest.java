package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared SqueezeNet (1.1 layout; real, FP16 widened to FP32): the INT8 QDQ model runs in ONNX Runtime, keeps
 * the FP32 top-1 class of both sample photos, and every one of its 26 Conv nodes becomes a
 * QLinearConv in ONNX Runtime's optimized graph.
 *
 * <p>The kitten is class 281 (tabby). {@code fish.png} shows a tench, not a goldfish: with the
 * documented preprocessing FP32 SqueezeNet itself puts it in class 389 (barracouta) and gives
 * class 1 (goldfish) a probability near 0, so the test asks INT8 to keep FP32's class.
 */
class SqueezeNetQuantizationTest {
  @TempDir Path tmp;

  @Test
  void int8KeepsTopOneOfBothPhotosAndFusesEveryConv() throws Exception {
    assumeTrue(SqueezeNetFixtures.model().isPresent(), SqueezeNetFixtures.missingReason());
    Graph fp32 = SqueezeNetFixtures.fp32();
    CalibrationTable table =
        MinMaxCalibration.collect(fp32, SqueezeNetFixtures.calibrationSet().iterator());
    QdqQuantizer.Result r =
        QdqQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), "squeezenet", "table");
    r.layers().stream().filter(l -> !l.quantized()).forEach(l -> System.out.println("float: " + l));
    Map<String, Integer> ops =
        OrtGraphs.optimizedOps(r.graph(), tmp.resolve("squeezenet.opt.onnx"));
    System.out.println("SqueezeNet INT8 optimized by ONNX Runtime (EXTENDED): " + ops);
    List<Tensor> photos = SqueezeNetFixtures.photos();
    SessionOptions opts = SessionOptions.defaults().withThreads(2);
    try (InferenceSession f = OrtRuntime.get().open(fp32, opts);
        InferenceSession q = OrtRuntime.get().open(r.graph(), opts)) {
      String in = f.inputNames().get(0);
      for (int i = 0; i < photos.size(); i++) {
        Tensor x = photos.get(i).withName(in);
        Tensor pf = f.run(Map.of(in, x)).values().iterator().next();
        Tensor pq = q.run(Map.of(in, x)).values().iterator().next();
        int cf = Agreement.top1(pf)[0];
        int cq = Agreement.top1(pq)[0];
        System.out.printf(
            "photo %d: FP32 class %d (p=%.4f), INT8 class %d (p=%.4f), output SQNR %.1f dB%n",
            i,
            cf,
            pf.toFloats()[cf],
            cq,
            pq.toFloats()[cq],
            SqnrProbe.sqnrDb(pf.toFloats(), pq.toFloats()));
        if (i == 0) {
          assertEquals(SqueezeNetFixtures.KITTEN, cf, "FP32 top-1 of the kitten");
        }
        assertEquals(cf, cq, "INT8 must keep the FP32 top-1 class of photo " + i);
      }
    }
    assertEquals(26, ops.getOrDefault("QLinearConv", 0), ops.toString());
    assertEquals(0, ops.getOrDefault("Conv", 0), ops.toString());
    // The pool read only by Softmax averages conv10's dequantized output in float (issue 15).
    assertEquals(0, ops.getOrDefault("QLinearGlobalAveragePool", 0), ops.toString());
    assertEquals(1, ops.getOrDefault("GlobalAveragePool", 0), ops.toString());
  }
}
