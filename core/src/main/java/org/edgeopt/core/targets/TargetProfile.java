package org.edgeopt.core.targets;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.quant.QuantParams;

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
 * @param weightQuantMax int8 weights are quantized to [-weightQuantMax, weightQuantMax]; 0 means
 *     127. 64 keeps every uint8 x int8 pair sum within int16, so x86 CPUs without VNNI compute the
 *     same integers as every other CPU (see {@link org.edgeopt.core.cpu.PairSaturation})
 * @param depthwiseWeightQuantMax the same for depthwise convolutions (one input and one output
 *     channel per group), whose kernels widen to int16 before multiplying; 0 means
 *     {@code weightQuantMax}
 * @param cpuArch the CPU architecture the profile's kernels assume ({@code x86_64},
 *     {@code aarch64}), empty for any or for an accelerator
 * @param cpuFlagsAnyOf the host must report at least one of these CPU flags (e.g.
 *     {@code avx512_vnni}) for the profile's fast integer kernels; empty for none
 * @param assumedIsa the instruction sets the profile assumes, in words
 * @param int8Speedup what INT8 buys over FP32 on this target, and why, in words
 * @param quantizePasses the optional INT8 quantization passes on by default for this target
 *     when calibration data is at hand ({@code crossLayerEqualization}, {@code smoothQuant} (alpha
 *     0.5), {@code biasCorrection}, {@code adaRound}); empty for none
 * @param qdqPlacement where INT8 quantization puts QuantizeLinear/DequantizeLinear pairs:
 *     {@code runtime-patterns} (the default, also when empty: around the patterns ONNX Runtime
 *     fuses into integer kernels, the rest stays float) or {@code fully-int8} (every float
 *     activation tensor between operators, graph inputs and outputs included, for a device with
 *     no float kernels such as the Edge TPU); the quantize module reads and checks it
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
    long onChipMemoryBytes,
    int weightQuantMax,
    int depthwiseWeightQuantMax,
    String cpuArch,
    List<String> cpuFlagsAnyOf,
    String assumedIsa,
    String int8Speedup,
    List<String> quantizePasses,
    String qdqPlacement) {

  public TargetProfile {
    if (weightQuantMax == 0) {
      weightQuantMax = QuantParams.INT8_WEIGHT_MAX;
    }
    if (depthwiseWeightQuantMax == 0) {
      depthwiseWeightQuantMax = weightQuantMax;
    }
    for (int m : new int[] {weightQuantMax, depthwiseWeightQuantMax}) {
      if (m < 1 || m > QuantParams.INT8_WEIGHT_MAX) {
        throw new IllegalArgumentException(
            "target profile '" + name + "': weight range must be within 1..127, found " + m);
      }
    }
    cpuArch = cpuArch == null ? "" : cpuArch;
    cpuFlagsAnyOf = List.copyOf(cpuFlagsAnyOf == null ? List.of() : cpuFlagsAnyOf);
    assumedIsa = assumedIsa == null ? "" : assumedIsa;
    int8Speedup = int8Speedup == null ? "" : int8Speedup;
    quantizePasses = List.copyOf(quantizePasses == null ? List.of() : quantizePasses);
    qdqPlacement = qdqPlacement == null ? "" : qdqPlacement;
    precisions = List.copyOf(precisions);
    perTensorWeightOps = List.copyOf(perTensorWeightOps == null ? List.of() : perTensorWeightOps);
    ops = Map.copyOf(ops == null ? Map.of() : ops);
    peakOpsPerSecond = Map.copyOf(peakOpsPerSecond == null ? Map.of() : peakOpsPerSecond);
  }

  /** Returns a copy whose {@code quantizePasses} are {@code passes}. */
  public TargetProfile withQuantizePasses(List<String> passes) {
    return copy(passes, qdqPlacement);
  }

  /** Returns a copy whose {@code qdqPlacement} is {@code placement}. */
  public TargetProfile withQdqPlacement(String placement) {
    return copy(quantizePasses, placement);
  }

  private TargetProfile copy(List<String> passes, String placement) {
    return new TargetProfile(
        name,
        target,
        description,
        precisions,
        sparsity,
        sparsityReason,
        layout,
        staticShapes,
        maxBatch,
        maxActiveDims,
        activationType,
        symmetricActivations,
        perTensorWeightOps,
        quantizedOutputs,
        convInputChannelMultiple,
        defaultCalibration,
        defaultSupport,
        ops,
        memoryBandwidthBytesPerSecond,
        peakOpsPerSecond,
        onChipMemoryBytes,
        weightQuantMax,
        depthwiseWeightQuantMax,
        cpuArch,
        cpuFlagsAnyOf,
        assumedIsa,
        int8Speedup,
        passes,
        placement);
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
    return new OpSupport(
        defaultSupport, defaultSupport ? "" : "not in this target's operator table");
  }

  /**
   * Returns the roofline time estimate in seconds for a layer: the larger of its compute time
   * and its memory time at this target's peaks.
   */
  public double rooflineSeconds(long macs, long bytesMoved, String precision) {
    Double peak = peakOpsPerSecond.get(precision);
    double compute = peak == null || peak <= 0 ? 0 : 2.0 * macs / peak;
    double memory =
        memoryBandwidthBytesPerSecond <= 0 ? 0 : bytesMoved / memoryBandwidthBytesPerSecond;
    return Math.max(compute, memory);
  }

  /**
   * Returns why {@code host} does not run this profile's integer kernels, or an empty string when
   * it does (or the profile names no CPU, as for an accelerator).
   */
  public String cpuMismatch(HostCpu host) {
    if (!cpuArch.isEmpty() && !sameArch(cpuArch, host.arch())) {
      return "this profile assumes CPU architecture " + cpuArch + ", the host is " + host.arch();
    }
    if (!cpuFlagsAnyOf.isEmpty() && cpuFlagsAnyOf.stream().noneMatch(host::has)) {
      return "this profile assumes a CPU with "
          + String.join(" or ", cpuFlagsAnyOf)
          + ", the host has none of them";
    }
    return "";
  }

  private static boolean sameArch(String a, String b) {
    return normalizeArch(a).equals(normalizeArch(b));
  }

  private static String normalizeArch(String a) {
    String l = a.toLowerCase(java.util.Locale.ROOT);
    return switch (l) {
      case "amd64", "x86_64", "x86-64" -> "x86_64";
      case "arm64", "aarch64" -> "aarch64";
      default -> l;
    };
  }
}
