package org.edgeopt.compile.tensorrt;

import java.util.List;
import org.edgeopt.core.graph.Graph;

/**
 * An explicit-quantization model for TensorRT and what the export did.
 *
 * @param graph the model with symmetric int8 Q/DQ nodes, checked by the ONNX checker
 * @param int8Layers the weighted layers whose inputs and weights are quantized
 * @param floatLayers the weighted layers left in float, with the reason in {@code messages}
 * @param residualAdds the Add nodes whose residual input was quantized so they fuse
 * @param messages findings for the user, one line each
 */
public record TensorRtQdqExport(
    Graph graph,
    List<String> int8Layers,
    List<String> floatLayers,
    List<String> residualAdds,
    List<String> messages) {
  public TensorRtQdqExport {
    int8Layers = List.copyOf(int8Layers);
    floatLayers = List.copyOf(floatLayers);
    residualAdds = List.copyOf(residualAdds);
    messages = List.copyOf(messages);
  }
}
