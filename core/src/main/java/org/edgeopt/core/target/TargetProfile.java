package org.edgeopt.core.target;

import java.util.List;
import java.util.Map;

/**
 * What a target device can do, as data: precisions, sparsity, layout, shape rules, operator
 * support and roofline figures. Stages ask the profile; none of them branches on a target name.
 *
 * @param name the profile name, e.g. {@code edgetpu}
 * @param target the id of the {@link Target} plug-in that compiles for it
 * @param description one line about the hardware
 * @param precisions the precisions it runs: {@code fp32}, {@code fp16}, {@code int8}
 * @param sparsity {@code none} or {@code 2:4}
 * @param sparsityReason why sparsity does or does not pay on this target
 * @param layout the tensor layout it runs natively ({@code NCHW} or {@code NHWC})
 * @param staticShapes whether every shape must be known at compile time
 * @param maxBatch the largest batch it takes, 0 for no limit
 * @param maxActiveDims the most dimensions larger than 1 a tensor may have, 0 for no limit
 * @param activationType the integer type of quantized activations ({@code int8} or {@code uint8})
 * @param symmetricActivations whether activations must have zero point 0
 * @param perTensorWeightOps op types whose weights the target quantizes with one scale per tensor
 *     (TFLite's FULLY_CONNECTED), so the QDQ model must too; the rest are per output channel
 * @param quantizedOutputs whether the model's outputs are integers on the device (the QDQ model
 *     then quantizes them too, instead of leaving the last layer's output float)
 * @param convInputChannelMultiple pad the input channels of quantized convolutions to a multiple
 *     of this (with zero weights), because the target's fast integer kernels need it; 0 for never
 * @param defaultCalibration the calibration method used when none is given
 * @param defaultSupport whether operators not listed in {@code ops} are supported
 * @param ops per-operator support, by ONNX op type
 * @param memoryBandwidthBytesPerSecond memory bandwidth, for roofline estimates
 * @param peakOpsPerSecond peak operations per second per precision
 * @param onChipMemoryBytes on-chip parameter memory, 0 when not relevant
 */
public record TargetProfile(
    String name,
    String target,
    String description,
    List<String> precisions,
    String sparsity,
    String sparsityReason,
    String layout,
    boolean staticShapes,
    int maxBatch,
    int maxActiveDims,
    String activationType,
    boolean symmetricActivations,
    List<String> perTensorWeightOps,
    boolean quantizedOutputs,
    int convInputChannelMultiple,
    String defaultCalibration,
    boolean defaultSupport,
    Map<String, OpSupport> ops,
    double memoryBandwidthBytesPerSecond,
    Map<String, Double> peakOpsPerSecond,
    long onChipMemoryBytes) {

  public TargetProfile {
    precisions = List.copyOf(precisions);
    perTensorWeightOps = List.copyOf(perTensorWeightOps == null ? List.of() : perTensorWeightOps);
    ops = Map.copyOf(ops == null ? Map.of() : ops);
    peakOpsPerSecond = Map.copyOf(peakOpsPerSecond == null ? Map.of() : peakOpsPerSecond);
  }

  /** Returns whether the target gains speed from 2:4 semi-structured sparsity. */
  public boolean exploits24Sparsity() {
    return "2:4".equals(sparsity);
  }

  /** Returns whether the target runs the given precision. */
  public boolean supportsPrecision(String precision) {
    return precisions.contains(precision);
  }

  /** Returns how the target handles an ONNX operator. */
  public OpSupport support(String opType) {
    OpSupport s = ops.get(opType);
    if (s != null) {
      return s;
    }
    return new OpSupport(defaultSupport, defaultSupport ? "" : "not in this target's operator table");
  }

  /**
   * Returns the roofline time estimate in seconds for a layer: the larger of its compute time
   * and its memory time at this target's peaks.
   */
  public double rooflineSeconds(long macs, long bytesMoved, String precision) {
    Double peak = peakOpsPerSecond.get(precision);
    double compute = peak == null || peak <= 0 ? 0 : 2.0 * macs / peak;
    double memory = memoryBandwidthBytesPerSecond <= 0 ? 0 : bytesMoved / memoryBandwidthBytesPerSecond;
    return Math.max(compute, memory);
  }
}
