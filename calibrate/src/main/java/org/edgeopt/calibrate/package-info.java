/**
 * Calibration: the ranges to quantize activations to, chosen on the user's own field data.
 *
 * <p>{@link org.edgeopt.calibrate.Calibration} runs the model once over the data through ONNX
 * Runtime, with every activation made a graph output, and folds each batch into mergeable
 * {@link org.edgeopt.calibrate.TensorStatistics} (min/max and a power-of-two histogram) without
 * keeping activations, so memory does not grow with the number of samples. The statistics of a
 * ReLU's output, and of a Reshape-like node's, are derived from its input's instead of captured
 * (exactly the same, as each histogram half keeps its own range). A
 * {@link org.edgeopt.calibrate.Calibrator} (minmax, percentile, entropy, mse) then freezes the
 * statistics into a {@link org.edgeopt.core.quant.CalibrationTable}, which
 * {@link org.edgeopt.calibrate.TensorRtCalibrationCache} can also write in TensorRT's format.
 */
package org.edgeopt.calibrate;
