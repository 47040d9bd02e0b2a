package org.edgeopt.ingest;

import java.util.List;

/**
 * How closely the ONNX model reproduces its TorchScript reference on the same seeded inputs.
 *
 * <p>The check passes when {@code maxAbsDiff <= tolerance * max(1, referenceMaxAbs)}: an
 * absolute tolerance for outputs around 1, relative for larger ones.
 *
 * @param reference the TorchScript file
 * @param onnxModel which ONNX graph ran: {@code normalised} (the one written by ingest)
 * @param seed the seed of the Gaussian random inputs
 * @param batchSizes the batch sizes run (1 to 4, or the model's fixed batch)
 * @param elements the number of output values compared
 * @param maxAbsDiff the largest absolute difference over all outputs
 * @param cosineSimilarity the cosine similarity of all outputs taken as one vector
 * @param referenceMaxAbs the largest absolute reference output
 * @param tolerance the tolerance factor
 * @param withinTolerance whether {@code maxAbsDiff} is within the tolerance
 */
public record FidelityCheck(
    String reference,
    String onnxModel,
    long seed,
    List<Integer> batchSizes,
    long elements,
    double maxAbsDiff,
    double cosineSimilarity,
    double referenceMaxAbs,
    double tolerance,
    boolean withinTolerance) {

  /** The default tolerance factor: FP32 exports agree to about 1e-5; 1e-3 leaves room for kernel differences. */
  public static final double DEFAULT_TOLERANCE = 1e-3;

  public FidelityCheck {
    batchSizes = List.copyOf(batchSizes);
  }
}
