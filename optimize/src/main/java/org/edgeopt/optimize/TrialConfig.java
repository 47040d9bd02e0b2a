package org.edgeopt.optimize;

import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * One point of the search space: how one candidate model is made from the FP32 model. The FP32
 * model is first pruned (dense channels, then 2:4), calibrated, then quantized.
 *
 * @param precision {@code int8} or {@code fp16}
 * @param method the calibration method ({@code minmax}, {@code percentile}, {@code entropy},
 *     {@code mse}); empty for FP16
 * @param percentile the percentile the percentile method keeps; 0 for the other methods
 * @param floatLayers INT8 layers kept in float (fallback), sorted by name
 * @param padChannels whether quantized convolutions' input channels are padded to the
 *     profile's multiple
 * @param pruneChannels the share of each prunable channel group's channels removed before
 *     quantization (dense channel pruning, the prune module's ranking); 0 for none
 * @param twoFour whether every eligible layer is pruned to 2:4 semi-structured sparsity before
 *     quantization (only where the target exploits it)
 * @param fp16Islands whether the float layers run in FP16 instead of FP32 (islands with casts at
 *     their borders; only with float layers, where the target runs FP16)
 */
public record TrialConfig(
    String precision,
    String method,
    double percentile,
    List<String> floatLayers,
    boolean padChannels,
    double pruneChannels,
    boolean twoFour,
    boolean fp16Islands) {

  public TrialConfig {
    precision = precision.toLowerCase(Locale.ROOT);
    method = precision.equals("fp16") ? "" : method;
    percentile = method.equals("percentile") ? percentile : 0;
    floatLayers = List.copyOf(new TreeSet<>(floatLayers == null ? List.of() : floatLayers));
    padChannels = precision.equals("int8") && padChannels;
    fp16Islands = precision.equals("int8") && !floatLayers.isEmpty() && fp16Islands;
  }

  /** Returns an INT8 configuration without fallback or pruning. */
  public static TrialConfig int8(String method, double percentile, boolean pad) {
    return new TrialConfig("int8", method, percentile, List.of(), pad, 0, false, false);
  }

  /** Returns the FP16 configuration without pruning. */
  public static TrialConfig fp16() {
    return new TrialConfig("fp16", "", 0, List.of(), false, 0, false, false);
  }

  /** Returns whether this is an INT8 configuration. */
  public boolean int8() {
    return precision.equals("int8");
  }

  /** Returns a copy with these layers in float. */
  public TrialConfig withFloatLayers(List<String> layers) {
    return new TrialConfig(
        precision, method, percentile, layers, padChannels, pruneChannels, twoFour, fp16Islands);
  }

  /** Returns a copy with another calibration method. */
  public TrialConfig withMethod(String m, double p) {
    return new TrialConfig(
        precision, m, p, floatLayers, padChannels, pruneChannels, twoFour, fp16Islands);
  }

  /** Returns a copy with channel padding on or off. */
  public TrialConfig withPadding(boolean pad) {
    return new TrialConfig(
        precision, method, percentile, floatLayers, pad, pruneChannels, twoFour, fp16Islands);
  }

  /** Returns a copy that removes this share of channels before quantization. */
  public TrialConfig withPruneChannels(double share) {
    return new TrialConfig(
        precision, method, percentile, floatLayers, padChannels, share, twoFour, fp16Islands);
  }

  /** Returns a copy with 2:4 sparsity on or off. */
  public TrialConfig withTwoFour(boolean on) {
    return new TrialConfig(
        precision, method, percentile, floatLayers, padChannels, pruneChannels, on, fp16Islands);
  }

  /** Returns a copy whose float layers run in FP16 (on) or FP32 (off). */
  public TrialConfig withFp16Islands(boolean on) {
    return new TrialConfig(
        precision, method, percentile, floatLayers, padChannels, pruneChannels, twoFour, on);
  }

  /** Returns the key that identifies the calibration table this configuration needs (per FP32 graph). */
  public String calibrationKey() {
    return method + (percentile > 0 ? "@" + percentile : "");
  }

  /**
   * Returns the key of the FP32 graph this configuration quantizes: empty for the input model,
   * else its pruning. Calibration statistics are collected once per graph key.
   */
  public String graphKey() {
    return (pruneChannels > 0 ? String.format(Locale.ROOT, " prune=%s", pruneChannels) : "")
        + (twoFour ? " 2:4" : "");
  }

  /** Returns the canonical text of this configuration: equal configurations have equal keys. */
  public String key() {
    return (int8()
            ? String.format(
                Locale.ROOT, "int8 %s pad=%b float=%s", calibrationKey(), padChannels, floatLayers)
            : "fp16")
        + (fp16Islands ? " islands=fp16" : "")
        + graphKey();
  }

  /**
   * Returns what decides this configuration's speed: precision, float layers, padding and
   * pruning. Trials that differ only in calibration method run the same graph with other scales,
   * so their measured latencies are samples of one figure.
   */
  public String structureKey() {
    return (int8() ? "int8 pad=" + padChannels + " float=" + floatLayers : "fp16")
        + (fp16Islands ? " islands=fp16" : "")
        + graphKey();
  }

  /** Returns a short human description, e.g. {@code INT8 entropy, 2 layers float, 25% channels pruned}. */
  public String label() {
    String pruning =
        (pruneChannels > 0
                ? String.format(Locale.ROOT, ", %s%% channels pruned", percent(pruneChannels))
                : "")
            + (twoFour ? ", 2:4 sparse" : "");
    if (!int8()) {
      return "FP16" + pruning;
    }
    String m = method + (percentile > 0 ? " " + percentile : "");
    String f =
        floatLayers.isEmpty()
            ? ""
            : ", "
                + floatLayers.size()
                + " layer"
                + (floatLayers.size() == 1 ? "" : "s")
                + (fp16Islands ? " FP16" : " float");
    return "INT8 " + m + f + (padChannels ? ", padded" : "") + pruning;
  }

  private static String percent(double share) {
    double p = share * 100;
    return p == Math.rint(p) ? Long.toString(Math.round(p)) : Double.toString(p);
  }
}
