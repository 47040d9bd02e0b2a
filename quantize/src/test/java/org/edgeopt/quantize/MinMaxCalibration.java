package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * A minimal min/max range collector for the quantizer's tests, so they do not depend on the
 * calibrate module: every float32 tensor of the model is made a graph output, the model runs in
 * ONNX Runtime over the data, and the smallest and largest value of each tensor is kept.
 */
public final class MinMaxCalibration {
  private MinMaxCalibration() {}

  /** Calibrates on the first {@code limit} samples of a data set, in batches of {@code batchSize}. */
  public static CalibrationTable collect(Graph model, Dataset data, int limit, int batchSize)
      throws EdgeoptException {
    Iterator<Batch> it = data.batches(batchSize, limit);
    return collect(
        model,
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return it.hasNext();
          }

          @Override
          public Tensor next() {
            return it.next().input();
          }
        });
  }

  /** Calibrates on the given input batches (for the model's single input). */
  public static CalibrationTable collect(Graph model, Iterator<Tensor> inputs)
      throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(model, "calibration model");
    Map<String, TensorType> types = OnnxModels.knownTypes(typed);
    List<String> names = new ArrayList<>();
    GraphBuilder b = typed.toBuilder();
    for (Node n : typed.nodes()) {
      for (String o : n.outputs()) {
        TensorType t = types.get(o);
        if (!o.isEmpty() && t != null && t.dataType() == DataType.FLOAT) {
          names.add(o);
          if (!typed.isOutput(o)) {
            b.addOutput(new Value(o, t));
          }
        }
      }
    }
    String input = typed.inputs().get(0).name();
    Map<String, float[]> range = new LinkedHashMap<>();
    Map<String, Long> counts = new HashMap<>();
    long samples = 0;
    try (InferenceSession s =
        OrtRuntime.get().open(b.build(), SessionOptions.defaults().withThreads(2))) {
      while (inputs.hasNext()) {
        Tensor in = inputs.next().withName(input);
        samples += in.dim(0);
        update(range, input, in.toFloats());
        for (Map.Entry<String, Tensor> e : s.run(Map.of(input, in), names).entrySet()) {
          update(range, e.getKey(), e.getValue().toFloats());
          counts.merge(e.getKey(), 1L, Long::sum);
        }
      }
    }
    Map<String, TensorRange> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : range.entrySet()) {
      float[] r = e.getValue();
      tensors.put(e.getKey(), new TensorRange(r[0], r[1], r[0], r[1], "minmax", samples, 0));
    }
    String sha = org.edgeopt.core.io.Hashes.sha256(OnnxModels.toBytes(model));
    return new CalibrationTable(
        CalibrationTable.FORMAT_VERSION,
        "minmax",
        sha,
        "test-data",
        samples,
        Map.of("tool", "quantize tests (MinMaxCalibration)"),
        tensors);
  }

  private static void update(Map<String, float[]> range, String name, float[] v) {
    float[] r =
        range.computeIfAbsent(
            name, k -> new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
    for (float f : v) {
      if (f < r[0]) {
        r[0] = f;
      }
      if (f > r[1]) {
        r[1] = f;
      }
    }
  }
}
