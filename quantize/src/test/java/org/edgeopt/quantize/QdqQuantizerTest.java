package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QdqQuantizerTest {
  @TempDir Path tmp;

  static CalibrationTable smallCnnTable(Graph g) throws Exception {
    List<Tensor> batches = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      batches.add(TestModels.smallCnnInput(100 + i, 16));
    }
    return MinMaxCalibration.collect(g, batches.iterator());
  }

  @Test
  void smallCnnFusesEveryConvInOnnxRuntime() throws Exception {
    Graph g = TestModels.smallCnn(13);
    CalibrationTable table = smallCnnTable(g);
    QdqQuantizer.Result r = QdqQuantizer.quantize(g, table, QuantizeConfig.defaults(), "small_cnn", "table");
    OnnxChecker.check(r.graph(), "quantized small_cnn");
    System.out.println(r.graph().opHistogram());
    r.layers().forEach(System.out::println);
    Map<String, Integer> ops = OrtGraphs.optimizedOps(r.graph(), tmp.resolve("opt.onnx"));
    System.out.println(ops);
    assertEquals(2, ops.getOrDefault("QLinearConv", 0), ops.toString());
    assertEquals(0, ops.getOrDefault("Conv", 0), ops.toString());
    assertTrue(r.layers().stream().allMatch(QdqQuantizer.Layer::quantized));
  }
}
