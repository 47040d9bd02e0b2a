package org.edgeopt.validate;

import java.util.List;

/**
 * Where the candidate's error comes from, layer by layer: each reduced-precision layer of the
 * candidate compared with the matching FP32 tensor of the reference, ranked by the error the
 * layer adds on its own, with the layer to exclude from quantization first.
 *
 * <p>Two SQNR figures per layer tell accumulation from cause. {@code sqnrDb} is measured in the
 * whole candidate, so it carries the error of every layer before it. {@code addedSqnrDb} is the
 * layer on its own: its reduced-precision version (quantized weights, the operator, and the
 * quantization of its output, which is charged to the layer that produces it; the graph input's
 * to the layer reading it) fed with the reference's FP32 inputs; where that cannot be built it is
 * estimated from how much the SQNR falls across the layer ({@code addedBy} says which). The lower
 * the added SQNR, the more error the layer brings. Outputs are compared as the next layer sees
 * them, after the layer's quantize/dequantize pair, so a Relu or Clip fused into that pair's
 * saturation is compared with the reference's Relu or Clip output.
 *
 * @param status {@code ran} or {@code skipped}
 * @param reason why it was skipped, or how layers were matched when it ran
 * @param samples holdout samples used
 * @param layers every matched layer, most damaging first
 * @param excludeFirst the node to exclude from quantization first: the reduced-precision layer that adds
 *     the most error on its own, or {@code null} when no layer runs in reduced precision
 * @param advice one sentence for the user
 */
public record LayerDiagnosis(
    String status,
    String reason,
    int samples,
    List<LayerError> layers,
    String excludeFirst,
    String advice) {

  /** The status of a diagnosis that ran. */
  public static final String RAN = "ran";

  /** The status of a diagnosis that could not or need not run. */
  public static final String SKIPPED = "skipped";

  /**
   * The SQNR a layer keeps on its own above which it is healthy: 30 dB is an error of about 3% of
   * the signal's amplitude, where INT8 layers of a well-quantized network sit.
   */
  public static final double HEALTHY_SQNR_DB = 30.0;

  /** Copies the list. */
  public LayerDiagnosis {
    layers = List.copyOf(layers);
  }

  /** Returns a diagnosis that did not run, saying why. */
  public static LayerDiagnosis skipped(String reason) {
    return new LayerDiagnosis(
        SKIPPED, reason, 0, List.of(), null, "per-layer diagnosis did not run: " + reason);
  }

  /** Returns whether the diagnosis ran. */
  public boolean ran() {
    return RAN.equals(status);
  }

  /**
   * One candidate layer compared with the reference.
   *
   * @param rank 1 for the layer adding the most error
   * @param position the layer's place in the candidate's topological order, from 1
   * @param node the candidate node's name (what {@code --exclude} takes)
   * @param opType the operator
   * @param referenceTensor the FP32 reference tensor it is compared with
   * @param candidateTensor the candidate tensor compared: the layer's output, after its
   *     quantize/dequantize pair when it has one
   * @param matchedBy how the layer was matched: {@code node name}, {@code output name} or {@code op order}
   * @param reducedPrecision whether the layer reads quantized (or cast) weights or inputs, or its output
   *     is quantized
   * @param sqnrDb SQNR of the layer's output in the whole candidate, dB (accumulated error)
   * @param inputSqnrDb the lowest SQNR among the layer's activation inputs in the whole candidate, dB
   * @param addedSqnrDb SQNR of the layer on its own, dB (the error it adds; lower is worse)
   * @param addedBy {@code isolated} when measured on the layer fed FP32 inputs, {@code estimated} when
   *     derived from {@code sqnrDb} and {@code inputSqnrDb}
   * @param cosine cosine similarity of the output in the whole candidate
   * @param maxAbsError the largest absolute difference in the whole candidate
   * @param elements values compared
   */
  public record LayerError(
      int rank,
      int position,
      String node,
      String opType,
      String referenceTensor,
      String candidateTensor,
      String matchedBy,
      boolean reducedPrecision,
      double sqnrDb,
      double inputSqnrDb,
      double addedSqnrDb,
      String addedBy,
      double cosine,
      double maxAbsError,
      long elements) {}
}
