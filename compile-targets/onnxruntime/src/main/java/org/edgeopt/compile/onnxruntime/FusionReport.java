package org.edgeopt.compile.onnxruntime;

import java.util.List;
import java.util.Map;

/**
 * What ONNX Runtime's optimizer made of a model: operator counts before and after, how many
 * layers run on integer kernels, and which weighted layers were left in float.
 *
 * @param opsBefore operator histogram of the input model
 * @param opsAfter operator histogram of the optimized model
 * @param integerKernels nodes that run integer kernels (QLinearConv, QLinearMatMul, QGemm, ...)
 * @param weightedLayers Conv/Gemm/MatMul layers of the input model
 * @param floatLayers weighted layers still computed in float after optimization, by node name
 * @param maxAbsDiff largest output difference between the input and optimized models
 * @param tolerance the tolerance that difference was checked against
 */
public record FusionReport(
    Map<String, Integer> opsBefore,
    Map<String, Integer> opsAfter,
    int integerKernels,
    int weightedLayers,
    List<String> floatLayers,
    double maxAbsDiff,
    double tolerance) {

  public FusionReport {
    opsBefore = Map.copyOf(opsBefore);
    opsAfter = Map.copyOf(opsAfter);
    floatLayers = List.copyOf(floatLayers);
  }

  /** Returns whether the optimized model's outputs stayed within the tolerance. */
  public boolean withinTolerance() {
    return !(maxAbsDiff > tolerance);
  }
}
