/**
 * Quantization parameters and the frozen result of calibration, shared by every stage and
 * target: one place for rounding and clamping rules ({@link org.edgeopt.core.quant.QuantParams})
 * and the serializable per-tensor ranges ({@link org.edgeopt.core.quant.CalibrationTable}).
 */
package org.edgeopt.core.quant;
