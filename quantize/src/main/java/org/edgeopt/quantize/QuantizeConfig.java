package org.edgeopt.quantize;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;

/**
 * What to quantize and how: precision, activation type, nodes kept in float, and the error
 * budget that automatic fallback to float must meet.
 *
 * @param precision INT8 (QDQ) or FP16
 * @param target the target profile name the activation rules came from
 * @param activationType {@link DataType#UINT8} or {@link DataType#INT8} activations
 * @param symmetricActivations whether activations get a zero point of 0 (no ReLU folding then)
 * @param exclude names of nodes the user keeps in float
 * @param fallbackSqnrDb the end-to-end output SQNR (dB) fallback must reach; NaN for no SQNR budget
 * @param fallbackTop1Agreement the top-1 agreement with FP32 (0..1) fallback must reach; NaN for none
 * @param sensitivitySamples how many calibration samples the per-layer SQNR is measured on
 * @param keepIoFloat32 for FP16: keep the graph inputs and outputs float32, with casts at the boundary
 * @param perTensorWeightOps op types whose weights get one scale per tensor instead of one per
 *     output channel (what the target's kernels take, e.g. TFLite's FULLY_CONNECTED)
 * @param quantizeOutputs whether a layer writing a graph output quantizes it too, as on a device
 *     whose outputs are integers, instead of leaving it float as ONNX Runtime prefers
 * @param convInputChannelMultiple pad quantized convolutions' input channels to a multiple of this
 *     (see {@link ChannelPadding}); 0 or 1 for never
 * @param weightQuantMax int8 weights are quantized to [-weightQuantMax, weightQuantMax] (the
 *     target profile's {@code weightQuantMax})
 * @param depthwiseWeightQuantMax the same for depthwise convolutions
 * @param crossLayerEqualization run {@link CrossLayerEqualization} before quantizing (needs
 *     calibration data, to re-measure the ranges of the rescaled tensors)
 * @param biasCorrection run {@link BiasCorrection} on the calibration data and correct the
 *     quantized biases
 * @param adaRound round convolution weights up or down by their layer's output error on the
 *     calibration data ({@link AdaRound}) instead of to the nearest integer
 * @param smoothAlpha migration strength of SmoothQuant-style smoothing of MatMul/Gemm inputs
 *     ({@link SmoothQuant}), within (0, 1); NaN for no smoothing
 */
public record QuantizeConfig(
    Precision precision,
    String target,
    DataType activationType,
    boolean symmetricActivations,
    Set<String> exclude,
    double fallbackSqnrDb,
    double fallbackTop1Agreement,
    int sensitivitySamples,
    boolean keepIoFloat32,
    Set<String> perTensorWeightOps,
    boolean quantizeOutputs,
    int convInputChannelMultiple,
    int weightQuantMax,
    int depthwiseWeightQuantMax,
    boolean crossLayerEqualization,
    boolean biasCorrection,
    boolean adaRound,
    double smoothAlpha) {

  /** The profile {@link #defaults()} follows. */
  public static final String DEFAULT_TARGET = "onnxruntime-cpu";

  /** Samples used to measure per-layer SQNR unless asked otherwise: a few batches. */
  public static final int DEFAULT_SENSITIVITY_SAMPLES = 64;

  public QuantizeConfig {
    if (precision == null) {
      throw new IllegalArgumentException("precision is required");
    }
    if (activationType != DataType.UINT8 && activationType != DataType.INT8) {
      throw new IllegalArgumentException(
          "activation type must be uint8 or int8, found " + activationType);
    }
    if (sensitivitySamples < 1) {
      throw new IllegalArgumentException(
          "sensitivity samples must be at least 1, found " + sensitivitySamples);
    }
    if (!Double.isNaN(fallbackTop1Agreement)
        && (fallbackTop1Agreement < 0 || fallbackTop1Agreement > 1)) {
      throw new IllegalArgumentException(
          "top-1 agreement budget must be within 0..1, found " + fallbackTop1Agreement);
    }
    exclude = Set.copyOf(new TreeSet<>(exclude == null ? Set.of() : exclude));
    perTensorWeightOps = Set.copyOf(perTensorWeightOps == null ? Set.of() : perTensorWeightOps);
    target = target == null ? "" : target;
    if (!Double.isNaN(smoothAlpha) && !(smoothAlpha > 0 && smoothAlpha < 1)) {
      throw new IllegalArgumentException(
          "smoothing alpha must be within (0, 1), found " + smoothAlpha);
    }
    for (int m : new int[] {weightQuantMax, depthwiseWeightQuantMax}) {
      if (m < 1 || m > QuantParams.INT8_WEIGHT_MAX) {
        throw new IllegalArgumentException("int8 weight range must be within 1..127, found " + m);
      }
    }
  }

  /** The names of the optional passes, as target profiles and reports write them, in the order they run. */
  public static final List<String> PASSES =
      List.of("crossLayerEqualization", "smoothQuant", "adaRound", "biasCorrection");

  /**
   * Returns the INT8 configuration a target profile asks for: its activation type and symmetry,
   * weight rules, and the optional passes it turns on by default ({@code quantizePasses}; they
   * need calibration data, see {@link #withoutPasses()}).
   */
  public static QuantizeConfig forTarget(TargetProfile profile) throws EdgeoptException {
    DataType act =
        switch (profile.activationType() == null
            ? ""
            : profile.activationType().toLowerCase(Locale.ROOT)) {
          case "uint8" -> DataType.UINT8;
          case "int8" -> DataType.INT8;
          default ->
              throw EdgeoptException.invalid(
                  "target profile '"
                      + profile.name()
                      + "': expected activationType uint8 or int8, found '"
                      + profile.activationType()
                      + "'");
        };
    for (String pass : profile.quantizePasses()) {
      if (!PASSES.contains(pass)) {
        throw EdgeoptException.invalid(
            "target profile '"
                + profile.name()
                + "': expected quantizePasses from "
                + PASSES
                + ", found '"
                + pass
                + "'");
      }
    }
    List<String> on = profile.quantizePasses();
    return new QuantizeConfig(
        Precision.INT8,
        profile.name(),
        act,
        profile.symmetricActivations(),
        Set.of(),
        Double.NaN,
        Double.NaN,
        DEFAULT_SENSITIVITY_SAMPLES,
        true,
        Set.copyOf(profile.perTensorWeightOps()),
        profile.quantizedOutputs(),
        profile.convInputChannelMultiple(),
        profile.weightQuantMax(),
        profile.depthwiseWeightQuantMax(),
        on.contains("crossLayerEqualization"),
        on.contains("biasCorrection"),
        on.contains("adaRound"),
        on.contains("smoothQuant") ? SmoothQuant.DEFAULT_ALPHA : Double.NaN);
  }

  /**
   * Returns the default: INT8 for ONNX Runtime's portable CPU profile ({@code onnxruntime-cpu}:
   * uint8 asymmetric activations, 7-bit weights except in depthwise convolutions).
   */
  public static QuantizeConfig defaults() {
    try {
      return forTarget(TargetProfiles.get(DEFAULT_TARGET));
    } catch (EdgeoptException e) {
      throw new IllegalStateException(
          "the shipped profile " + DEFAULT_TARGET + " does not load", e);
    }
  }

  /** Returns a copy whose weights use [-max, max], and [-depthwiseMax, depthwiseMax] in depthwise convolutions. */
  public QuantizeConfig withWeightQuantMax(int max, int depthwiseMax) {
    return edit(
        e -> {
          e.weightQuantMax = max;
          e.depthwiseWeightQuantMax = depthwiseMax;
        });
  }

  /**
   * Returns a copy that pads quantized convolutions' input channels to a multiple of {@code n}
   * (0 or 1: never), e.g. to compare a target's padded and unpadded kernels.
   */
  public QuantizeConfig withConvInputChannelMultiple(int n) {
    return edit(e -> e.convInputChannelMultiple = n);
  }

  /** Returns a copy that runs (or not) cross-layer equalization before quantizing. */
  public QuantizeConfig withCrossLayerEqualization(boolean on) {
    return edit(e -> e.crossLayerEqualization = on);
  }

  /** Returns a copy that learns (or not) the rounding of convolution weights on the calibration data. */
  public QuantizeConfig withAdaRound(boolean on) {
    return edit(e -> e.adaRound = on);
  }

  /**
   * Returns a copy that smooths (or not, with NaN) the inputs of MatMul and Gemm with migration
   * strength {@code alpha} before quantizing ({@link SmoothQuant}).
   */
  public QuantizeConfig withSmoothing(double alpha) {
    return edit(e -> e.smoothAlpha = alpha);
  }

  /** Returns whether SmoothQuant-style smoothing runs. */
  public boolean smoothing() {
    return !Double.isNaN(smoothAlpha);
  }

  /** Returns a copy with every optional pass off (for a run without calibration data to measure them on). */
  public QuantizeConfig withoutPasses() {
    return withCrossLayerEqualization(false)
        .withBiasCorrection(false)
        .withAdaRound(false)
        .withSmoothing(Double.NaN);
  }

  /** Returns a copy that corrects (or not) the quantized biases for the weights' rounding shift. */
  public QuantizeConfig withBiasCorrection(boolean on) {
    return edit(e -> e.biasCorrection = on);
  }

  /**
   * Returns a copy whose weights of these op types get one scale per tensor (as accelerators
   * without per-channel weights require), e.g. {@code Set.of("Conv", "Gemm", "MatMul")}.
   */
  public QuantizeConfig withPerTensorWeightOps(Set<String> ops) {
    return edit(e -> e.perTensorWeightOps = ops);
  }

  /** Returns the weight range of a layer: depthwise convolutions may have their own. */
  public int weightQuantMax(boolean depthwise) {
    return depthwise ? depthwiseWeightQuantMax : weightQuantMax;
  }

  /** Returns a copy with another precision. */
  public QuantizeConfig withPrecision(Precision p) {
    return edit(e -> e.precision = p);
  }

  /** Returns a copy that keeps these nodes in float. */
  public QuantizeConfig withExclude(Set<String> nodes) {
    return edit(e -> e.exclude = nodes);
  }

  /** Returns a copy with another activation type and symmetry. */
  public QuantizeConfig withActivations(DataType type, boolean symmetric) {
    return edit(
        e -> {
          e.activationType = type;
          e.symmetricActivations = symmetric;
        });
  }

  /** Returns a copy whose fallback must reach this end-to-end output SQNR in dB (NaN: none). */
  public QuantizeConfig withFallbackSqnr(double db) {
    return edit(e -> e.fallbackSqnrDb = db);
  }

  /** Returns a copy whose fallback must reach this top-1 agreement with FP32, 0..1 (NaN: none). */
  public QuantizeConfig withFallbackTop1Agreement(double fraction) {
    return edit(e -> e.fallbackTop1Agreement = fraction);
  }

  /** Returns a copy that measures sensitivity on this many samples. */
  public QuantizeConfig withSensitivitySamples(int n) {
    return edit(e -> e.sensitivitySamples = n);
  }

  /** Returns a copy that keeps (or not) FP16 model inputs and outputs in float32. */
  public QuantizeConfig withKeepIoFloat32(boolean keep) {
    return edit(e -> e.keepIoFloat32 = keep);
  }

  /** Returns whether an error budget was given, so that automatic fallback runs. */
  public boolean fallbackRequested() {
    return !Double.isNaN(fallbackSqnrDb) || !Double.isNaN(fallbackTop1Agreement);
  }

  /** Returns the configuration as an ordered map, for provenance and reports. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("precision", precision.id());
    m.put("target", target);
    if (precision == Precision.INT8) {
      m.put("activationType", activationType.name().toLowerCase(Locale.ROOT));
      m.put("symmetricActivations", symmetricActivations);
      m.put(
          "weights",
          perTensorWeightOps.isEmpty()
              ? "int8 symmetric per output channel"
              : "int8 symmetric per output channel; per tensor for "
                  + String.join(", ", new TreeSet<>(perTensorWeightOps)));
      m.put("weightQuantMax", weightQuantMax);
      m.put("depthwiseWeightQuantMax", depthwiseWeightQuantMax);
      m.put("quantizeOutputs", quantizeOutputs);
      if (convInputChannelMultiple > 1) {
        m.put("convInputChannelMultiple", convInputChannelMultiple);
      }
      m.put("bias", "int32, scale = input scale x weight scale");
      m.put("crossLayerEqualization", crossLayerEqualization);
      m.put("biasCorrection", biasCorrection);
      m.put("adaRound", adaRound);
      if (smoothing()) {
        m.put("smoothAlpha", smoothAlpha);
      }
    } else {
      m.put("keepIoFloat32", keepIoFloat32);
    }
    m.put("exclude", List.copyOf(new TreeSet<>(exclude)));
    if (!Double.isNaN(fallbackSqnrDb)) {
      m.put("fallbackSqnrDb", fallbackSqnrDb);
    }
    if (!Double.isNaN(fallbackTop1Agreement)) {
      m.put("fallbackTop1Agreement", fallbackTop1Agreement);
    }
    m.put("sensitivitySamples", sensitivitySamples);
    return m;
  }

  private QuantizeConfig edit(java.util.function.Consumer<Edit> change) {
    Edit e = new Edit(this);
    change.accept(e);
    return e.build();
  }

  /**
   * A mutable copy of every component, so that each {@code with...} method names only what it
   * changes (a copy spelling out all components lost a new one when two changes met).
   */
  private static final class Edit {
    Precision precision;
    String target;
    DataType activationType;
    boolean symmetricActivations;
    Set<String> exclude;
    double fallbackSqnrDb;
    double fallbackTop1Agreement;
    int sensitivitySamples;
    boolean keepIoFloat32;
    Set<String> perTensorWeightOps;
    boolean quantizeOutputs;
    int convInputChannelMultiple;
    int weightQuantMax;
    int depthwiseWeightQuantMax;
    boolean crossLayerEqualization;
    boolean biasCorrection;
    boolean adaRound;
    double smoothAlpha;

    Edit(QuantizeConfig c) {
      precision = c.precision;
      target = c.target;
      activationType = c.activationType;
      symmetricActivations = c.symmetricActivations;
      exclude = c.exclude;
      fallbackSqnrDb = c.fallbackSqnrDb;
      fallbackTop1Agreement = c.fallbackTop1Agreement;
      sensitivitySamples = c.sensitivitySamples;
      keepIoFloat32 = c.keepIoFloat32;
      perTensorWeightOps = c.perTensorWeightOps;
      quantizeOutputs = c.quantizeOutputs;
      convInputChannelMultiple = c.convInputChannelMultiple;
      weightQuantMax = c.weightQuantMax;
      depthwiseWeightQuantMax = c.depthwiseWeightQuantMax;
      crossLayerEqualization = c.crossLayerEqualization;
      biasCorrection = c.biasCorrection;
      adaRound = c.adaRound;
      smoothAlpha = c.smoothAlpha;
    }

    QuantizeConfig build() {
      return new QuantizeConfig(
          precision,
          target,
          activationType,
          symmetricActivations,
          exclude,
          fallbackSqnrDb,
          fallbackTop1Agreement,
          sensitivitySamples,
          keepIoFloat32,
          perTensorWeightOps,
          quantizeOutputs,
          convInputChannelMultiple,
          weightQuantMax,
          depthwiseWeightQuantMax,
          crossLayerEqualization,
          biasCorrection,
          adaRound,
          smoothAlpha);
    }
  }
}
