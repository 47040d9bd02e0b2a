package org.edgeopt.compile.tensorrt;

import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.quant.TensorRange;

/**
 * A model taken apart into its float graph and the quantization choices its Q/DQ nodes made,
 * so it can be quantized again under TensorRT's rules.
 *
 * @param floatGraph the graph with every QuantizeLinear/DequantizeLinear removed and every
 *     quantized weight dequantized back to float
 * @param ranges the activation range each activation Q node stood for, by float tensor name
 * @param weightScales the symmetric int8 scales each dequantized weight had, by initializer name,
 *     so that re-quantizing gives back exactly the same integers
 * @param floatLayers names of weighted layers whose data input was not quantized (the
 *     quantizer's per-layer fallback to float), which stay float
 * @param hadQdq whether the model had any Q/DQ node
 */
public record QdqModel(
    Graph floatGraph,
    Map<String, TensorRange> ranges,
    Map<String, WeightScale> weightScales,
    Set<String> floatLayers,
    boolean hadQdq) {

  public QdqModel {
    ranges = Map.copyOf(ranges);
    weightScales = Map.copyOf(weightScales);
    floatLayers = Set.copyOf(floatLayers);
  }

  /**
   * The symmetric int8 quantization a weight had in the source model.
   *
   * @param scales one scale per channel along {@code axis}, or a single per-tensor scale
   * @param axis the channel axis, -1 for per tensor
   */
  public record WeightScale(float[] scales, int axis) {
    public WeightScale {
      scales = scales.clone();
    }

    @Override
    public float[] scales() {
      return scales.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof WeightScale w
          && axis == w.axis
          && java.util.Arrays.equals(scales, w.scales);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(scales) * 31 + axis;
    }

    @Override
    public String toString() {
      return "WeightScale[" + scales.length + " scales, axis " + axis + "]";
    }
  }
}
