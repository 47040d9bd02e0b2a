package org.edgeopt.core.quant;

/**
 * The calibrated range of one activation tensor.
 *
 * @param min the lower end of the range to quantize
 * @param max the upper end of the range to quantize
 * @param observedMin the smallest value seen in the calibration data
 * @param observedMax the largest value seen
 * @param method the calibrator that chose the range (minmax, percentile, entropy, mse)
 * @param samples how many samples were seen
 * @param histogramBins the number of histogram bins the range was chosen from (0 for minmax)
 */
public record TensorRange(
    float min,
    float max,
    float observedMin,
    float observedMax,
    String method,
    long samples,
    int histogramBins) {

  /** Returns the largest absolute value of the range, for symmetric quantization. */
  public float absMax() {
    return Math.max(Math.abs(min), Math.abs(max));
  }
}
