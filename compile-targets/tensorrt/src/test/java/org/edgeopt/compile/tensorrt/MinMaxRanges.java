package org.edgeopt.compile.tensorrt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/** A min/max calibration for tests: runs the model in ONNX Runtime and records each activation's range. */
final class MinMaxRanges {
  private MinMaxRanges() {}

  /** Returns a table with the min/max of every float activation over the given inputs. */
  static CalibrationTable of(Graph g, Iterator<Tensor> inputs) throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g, g.name());
    List<String> names = new ArrayList<>();
    GraphBuilder b = typed.toBuilder();
    java.util.Set<String> outs = new java.util.HashSet<>();
    typed.outputs().forEach(v -> outs.add(v.name()));
    for (Value in : typed.inputs()) {
      names.add(in.name());
    }
    for (Node n : typed.nodes()) {
      for (String o : n.outputs()) {
        if (!o.isEmpty() && typed.type(o).map(t -> t.dataType().isFloat()).orElse(false)) {
          names.add(o);
          if (outs.add(o)) {
            b.addOutput(new Value(o, typed.type(o).get()));
          }
        }
      }
    }
    Map<String, float[]> mm = new HashMap<>();
    String input = typed.inputs().get(0).name();
    try (InferenceSession s =
        OrtRuntime.get().open(b.build(), SessionOptions.defaults().withThreads(1))) {
      while (inputs.hasNext()) {
        Map<String, Tensor> out =
            new HashMap<>(s.run(Map.of(input, inputs.next().withName(input))));
        for (String name : names) {
          Tensor t = out.get(name);
          if (t == null) {
            continue;
          }
          float[] r =
              mm.computeIfAbsent(name, k -> new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
          for (float v : t.toFloats()) {
            r[0] = Math.min(r[0], v);
            r[1] = Math.max(r[1], v);
          }
        }
      }
    }
    Map<String, TensorRange> ranges = new LinkedHashMap<>();
    mm.forEach((k, r) -> ranges.put(k, new TensorRange(r[0], r[1], r[0], r[1], "minmax", 0, 0)));
    return new CalibrationTable(
        CalibrationTable.FORMAT_VERSION, "minmax", "", "", 0, Map.of(), ranges);
  }

  /** Returns a table over the first {@code limit} samples of a data set, the input range included. */
  static CalibrationTable of(Graph g, Dataset data, int batchSize, int limit)
      throws EdgeoptException {
    Iterator<Batch> it = data.batches(batchSize, limit);
    float[] in = {Float.MAX_VALUE, -Float.MAX_VALUE};
    Iterator<Tensor> tensors =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return it.hasNext();
          }

          @Override
          public Tensor next() {
            Tensor t = it.next().input();
            for (float v : t.toFloats()) {
              in[0] = Math.min(in[0], v);
              in[1] = Math.max(in[1], v);
            }
            return t;
          }
        };
    CalibrationTable t = of(g, tensors);
    Map<String, TensorRange> ranges = new LinkedHashMap<>(t.tensors());
    ranges.put(
        g.inputs().get(0).name(), new TensorRange(in[0], in[1], in[0], in[1], "minmax", limit, 0));
    return new CalibrationTable(t.formatVersion(), t.method(), "", "", limit, Map.of(), ranges);
  }

  /** Returns a table over seeded random inputs, the input range included. */
  static CalibrationTable ofTensors(Graph g, List<Tensor> inputs) throws EdgeoptException {
    CalibrationTable t = of(g, inputs.iterator());
    float[] in = {Float.MAX_VALUE, -Float.MAX_VALUE};
    for (Tensor x : inputs) {
      for (float v : x.toFloats()) {
        in[0] = Math.min(in[0], v);
        in[1] = Math.max(in[1], v);
      }
    }
    Map<String, TensorRange> ranges = new LinkedHashMap<>(t.tensors());
    ranges.put(
        g.inputs().get(0).name(),
        new TensorRange(in[0], in[1], in[0], in[1], "minmax", inputs.size(), 0));
    return new CalibrationTable(
        t.formatVersion(), t.method(), "", "", inputs.size(), Map.of(), ranges);
  }
}
