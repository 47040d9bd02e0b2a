package org.edgeopt.planners.split;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;

/**
 * The int8 parameters of the cut tensors on the wire: per-tensor asymmetric int8 over the range a
 * calibration table gives, or over the min/max observed on calibration data.
 */
public final class CutRanges {
  private CutRanges() {}

  /** Returns the parameters of every cut tensor the table has a range for. */
  public static Map<String, QuantParams> fromTable(CalibrationTable table, List<Cut> cuts) {
    Map<String, QuantParams> out = new HashMap<>();
    for (String t : tensors(cuts)) {
      TensorRange r = table.range(t);
      if (r != null) {
        out.put(t, QuantParams.asymmetric(r.min(), r.max(), DataType.INT8));
      }
    }
    return out;
  }

  /** Returns the parameters of every cut tensor over its min/max on the first {@code limit} samples of {@code data}. */
  public static Map<String, QuantParams> observe(
      Graph g, List<Cut> cuts, Dataset data, int limit, int batchSize) throws EdgeoptException {
    Set<String> wanted = tensors(cuts);
    String input = SplitEvaluator.singleInput(g);
    Map<String, float[]> minMax = new HashMap<>();
    try (InferenceSession probe =
        OrtRuntime.get().open(SplitEvaluator.probe(g, cuts), SplitEvaluator.SESSION)) {
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(probe, batchSize), limit);
      while (it.hasNext()) {
        Tensor x = it.next().input().withName(input);
        Map<String, Tensor> all = new HashMap<>(probe.run(Map.of(input, x)));
        all.put(input, x);
        for (String t : wanted) {
          float[] mm =
              minMax.computeIfAbsent(
                  t, k -> new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
          for (float v : all.get(t).toFloats()) {
            mm[0] = Math.min(mm[0], v);
            mm[1] = Math.max(mm[1], v);
          }
        }
      }
    }
    Map<String, QuantParams> out = new HashMap<>();
    minMax.forEach((t, mm) -> out.put(t, QuantParams.asymmetric(mm[0], mm[1], DataType.INT8)));
    return out;
  }

  private static Set<String> tensors(List<Cut> cuts) {
    Set<String> s = new LinkedHashSet<>();
    cuts.forEach(c -> s.addAll(c.tensors()));
    return s;
  }
}
