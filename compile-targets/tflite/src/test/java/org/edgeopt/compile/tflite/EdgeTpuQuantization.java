package org.edgeopt.compile.tflite;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;

/**
 * Makes the QDQ models the TFLite tests lower with the real calibrate and quantize modules,
 * configured for the {@code edgetpu} profile as {@code edgeopt quantize --target edgetpu} does, so
 * the lowering is tested on what users actually feed it.
 */
final class EdgeTpuQuantization {
  private EdgeTpuQuantization() {}

  /** Calibrates (min/max) on {@code inputs}, one batch each, and quantizes for the Edge TPU. */
  static Graph quantize(Graph fp32, List<Map<String, Tensor>> inputs) throws EdgeoptException {
    return quantize(fp32, calibrate(fp32, inputs), false);
  }

  /** Quantizes for the Edge TPU with fixed [min, max] ranges, by float tensor name. */
  static Graph quantize(Graph fp32, Map<String, float[]> ranges) throws EdgeoptException {
    Map<String, TensorRange> tensors = new LinkedHashMap<>();
    ranges.forEach(
        (name, r) -> tensors.put(name, new TensorRange(r[0], r[1], r[0], r[1], "minmax", 1, 0)));
    return quantize(
        fp32,
        new CalibrationTable(
            CalibrationTable.FORMAT_VERSION, "minmax", "", "", 1, Map.of(), tensors),
        false);
  }

  /**
   * Quantizes for the Edge TPU with the ranges of {@code table}; with {@code floatOutputs} the
   * graph outputs stay float (the quantizer's setting for ONNX Runtime, which leaves the last
   * layer's output unquantized).
   */
  static Graph quantize(Graph fp32, CalibrationTable table, boolean floatOutputs)
      throws EdgeoptException {
    QuantizeConfig c = QuantizeConfig.forTarget(TargetProfiles.get("edgetpu"));
    if (floatOutputs) {
      c = c.withQuantizeOutputs(false);
    }
    return ModelQuantizer.quantize(
            fp32,
            table,
            c,
            null,
            new ModelQuantizer.Provenance(fp32.name(), null, "test ranges", null))
        .graph();
  }

  /** Returns the min/max calibration table of {@code fp32} over {@code inputs}, one batch each. */
  static CalibrationTable calibrate(Graph fp32, List<Map<String, Tensor>> inputs)
      throws EdgeoptException {
    return Calibration.calibrate(
        fp32, new InputList(inputs), CalibrationConfig.of(CalibrationMethod.MINMAX));
  }

  /** Test inputs as a data set: each map's single tensor is one batch, labels all 0. */
  private record InputList(List<Map<String, Tensor>> inputs) implements Dataset {
    @Override
    public String describe() {
      return inputs.size() + " test inputs";
    }

    @Override
    public int size() {
      return inputs.stream().mapToInt(in -> (int) tensor(in).dim(0)).sum();
    }

    @Override
    public long[] sampleShape() {
      long[] dims = tensor(inputs.get(0)).dims();
      return java.util.Arrays.copyOfRange(dims, 1, dims.length);
    }

    @Override
    public Iterator<Batch> batches(int batchSize, int limit) {
      return inputs.stream()
          .map(in -> new Batch(tensor(in), new int[(int) tensor(in).dim(0)]))
          .iterator();
    }

    private static Tensor tensor(Map<String, Tensor> input) {
      if (input.size() != 1) {
        throw new IllegalArgumentException(
            "expected one input tensor per sample, found " + input.keySet());
      }
      return input.values().iterator().next();
    }
  }
}
