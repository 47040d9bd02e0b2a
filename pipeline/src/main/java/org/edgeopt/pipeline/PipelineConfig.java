package org.edgeopt.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.List;

/**
 * The whole pipeline configuration, as written in {@code edgeopt.yaml}; relative paths are
 * resolved against the folder of the config file by {@link PipelineConfigLoader}.
 *
 * @param model the FP32 ONNX model
 * @param reference an optional TorchScript FP32 reference for the export-fidelity check
 * @param target the target profile name or profile file
 * @param precision {@code int8} or {@code fp16}
 * @param preprocess the preprocessing spec for calibration and holdout data
 * @param classes optional class names, in output order
 * @param calibration where the calibration data is and how to calibrate
 * @param pruning whether and how to prune
 * @param holdout where the holdout data is
 * @param gate the accuracy gate thresholds
 * @param compile target-specific compile options
 * @param output the folder every artifact is written into
 * @param packaging the signed deployment bundle to make when the gate passes, or {@code null} for none
 * @param optimize when present, the pipeline searches for the fastest model within the gate
 *     ({@code edgeopt optimize}) instead of quantizing once with {@code calibration.method}
 * @param split an optional split-inference planning stage
 * @param cascade an optional cascade planning stage
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record PipelineConfig(
    @JsonProperty(value = "model", required = true) Path model,
    @JsonProperty("reference") Path reference,
    @JsonProperty(value = "target", required = true) String target,
    @JsonProperty("precision") String precision,
    @JsonProperty("preprocess") String preprocess,
    @JsonProperty("classes") List<String> classes,
    @JsonProperty(value = "calibration", required = true) Calibration calibration,
    @JsonProperty("pruning") Pruning pruning,
    @JsonProperty(value = "holdout", required = true) Holdout holdout,
    @JsonProperty("gate") Gate gate,
    @JsonProperty("compile") Compile compile,
    @JsonProperty("output") Path output,
    @JsonProperty("package") Packaging packaging,
    @JsonProperty("optimize") Optimize optimize,
    @JsonProperty("split") Split split,
    @JsonProperty("cascade") Cascade cascade) {

  public PipelineConfig {
    precision = precision == null ? "int8" : precision;
    preprocess = preprocess == null ? "" : preprocess;
    if (classes != null && classes.stream().anyMatch(java.util.Objects::isNull)) {
      // List.copyOf would fail with a bare NullPointerException; the loader shows this instead.
      throw new IllegalArgumentException(
          "classes has an empty entry: expected a class name in every place");
    }
    classes = classes == null ? null : List.copyOf(classes);
    pruning = pruning == null ? new Pruning("none", 1.0) : pruning;
    gate = gate == null ? new Gate(1.0, 98.0, 0) : gate;
    compile = compile == null ? new Compile(null, false, false) : compile;
    output = output == null ? Path.of("edgeopt-out") : output;
  }

  /** Creates a config without a search or planning stages, as before those sections existed. */
  public PipelineConfig(
      Path model,
      Path reference,
      String target,
      String precision,
      String preprocess,
      List<String> classes,
      Calibration calibration,
      Pruning pruning,
      Holdout holdout,
      Gate gate,
      Compile compile,
      Path output,
      Packaging packaging) {
    this(
        model,
        reference,
        target,
        precision,
        preprocess,
        classes,
        calibration,
        pruning,
        holdout,
        gate,
        compile,
        output,
        packaging,
        null,
        null,
        null);
  }

  /**
   * The search of {@code edgeopt optimize}, run by the pipeline in place of calibrate, quantize,
   * compile and validate; the bar is the {@code gate} section's top-1 drop and agreement.
   *
   * @param objective latency, size or macs (default latency)
   * @param budget wall time, e.g. {@code 30m} (default 30m)
   * @param trials the most trials (default 24)
   * @param seed the seed of the evolutionary phase (default 0)
   * @param latencyRuns timed batch-1 runs per model and trial (default 200)
   * @param keepTrials {@code all} (default) keeps every trial's model in {@code trials/}, {@code
   *     none} removes them when the search ends
   */
  public record Optimize(
      @JsonProperty("objective") String objective,
      @JsonProperty("budget") String budget,
      @JsonProperty("trials") int trials,
      @JsonProperty("seed") long seed,
      @JsonProperty("latencyRuns") int latencyRuns,
      @JsonProperty("keepTrials") String keepTrials) {
    public Optimize {
      keepTrials = keepTrials == null ? "all" : keepTrials;
      objective = objective == null ? "latency" : objective;
      budget = budget == null ? "30m" : budget;
      trials = trials == 0 ? 24 : trials;
      latencyRuns = latencyRuns == 0 ? 200 : latencyRuns;
    }
  }

  /**
   * Calibration data and method.
   *
   * @param data the calibration data (IDX folder, CSV, .npy, image folder)
   * @param method minmax, percentile, entropy or mse; null for the target's default
   * @param samples how many samples to use, 0 for all
   * @param labelColumn the label column of CSV data
   */
  public record Calibration(
      @JsonProperty(value = "data", required = true) Path data,
      @JsonProperty("method") String method,
      @JsonProperty("samples") int samples,
      @JsonProperty("labelColumn") String labelColumn) {}

  /**
   * Pruning mode and accuracy budget.
   *
   * @param mode none, auto, 2:4 or channel
   * @param budget the largest top-1 drop in points that pruning may cost
   */
  public record Pruning(@JsonProperty("mode") String mode, @JsonProperty("budget") double budget) {
    public Pruning {
      mode = mode == null ? "none" : mode;
      budget = budget == 0 ? 1.0 : budget;
    }
  }

  /**
   * Holdout data for validation.
   *
   * @param data the holdout data
   * @param labelColumn the label column of CSV data
   * @param samples how many samples to use, 0 for all
   */
  public record Holdout(
      @JsonProperty(value = "data", required = true) Path data,
      @JsonProperty("labelColumn") String labelColumn,
      @JsonProperty("samples") int samples) {}

  /**
   * The accuracy gate.
   *
   * @param maxTop1Drop the largest allowed top-1 drop, in points
   * @param minAgreement the smallest allowed top-1 agreement with FP32, in percent
   * @param maxP95LatencyMs the largest allowed p95 latency in ms, 0 for no limit
   */
  public record Gate(
      @JsonProperty("maxTop1Drop") double maxTop1Drop,
      @JsonProperty("minAgreement") double minAgreement,
      @JsonProperty("maxP95LatencyMs") double maxP95LatencyMs) {}

  /**
   * Target-specific compile options.
   *
   * @param ioType Edge TPU model input/output type: int8 or uint8
   * @param strict whether anything that would not map to the accelerator fails the run (exit 5)
   * @param buildEngine TensorRT: also build the engine in-process
   */
  public record Compile(
      @JsonProperty("ioType") String ioType,
      @JsonProperty("strict") boolean strict,
      @JsonProperty("buildEngine") boolean buildEngine) {}

  /**
   * The split-inference planning stage ({@code edgeopt split} on the FP32 model).
   *
   * @param edge the device's profile (default: the pipeline's target)
   * @param server the server's profile
   * @param uplink the uplink, e.g. {@code 10Mbit/s}
   * @param rtt the round-trip time, e.g. {@code 40ms}
   * @param wire fp32, fp16 or int8 (int8 uses the pipeline's calibration table, or observes ranges)
   * @param zstd whether the wire bytes are zstd-compressed
   * @param samples how many holdout samples every cut runs on, 0 for 200
   */
  public record Split(
      @JsonProperty("edge") String edge,
      @JsonProperty(value = "server", required = true) String server,
      @JsonProperty("uplink") String uplink,
      @JsonProperty("rtt") String rtt,
      @JsonProperty("wire") String wire,
      @JsonProperty("zstd") boolean zstd,
      @JsonProperty("samples") int samples) {
    public Split {
      uplink = uplink == null ? "10Mbit/s" : uplink;
      rtt = rtt == null ? "40ms" : rtt;
      wire = wire == null ? "fp32" : wire;
      samples = samples == 0 ? 200 : samples;
    }
  }

  /**
   * The cascade planning stage ({@code edgeopt cascade}).
   *
   * @param small the small model (default: the pipeline's quantized ONNX model)
   * @param large the large model (default: the FP32 model)
   * @param minAccuracy the least cascade top-1 (0..1), or 0 when {@code maxEscalation} is given
   * @param maxEscalation the largest escalation rate (0..1), or 0 when {@code minAccuracy} is given
   * @param recallFloors least recall per class name or index
   * @param smallCost the small model's latency ({@code 2ms}) or {@code measured} (default)
   * @param largeCost the large model's latency or {@code measured} (default)
   */
  public record Cascade(
      @JsonProperty("small") Path small,
      @JsonProperty("large") Path large,
      @JsonProperty("minAccuracy") double minAccuracy,
      @JsonProperty("maxEscalation") double maxEscalation,
      @JsonProperty("recallFloors") java.util.Map<String, Double> recallFloors,
      @JsonProperty("smallCost") String smallCost,
      @JsonProperty("largeCost") String largeCost) {
    public Cascade {
      recallFloors = recallFloors == null ? java.util.Map.of() : java.util.Map.copyOf(recallFloors);
      smallCost = smallCost == null ? "measured" : smallCost;
      largeCost = largeCost == null ? "measured" : largeCost;
      if ((minAccuracy > 0) == (maxEscalation > 0)) {
        throw new IllegalArgumentException(
            "give exactly one of minAccuracy and maxEscalation, each a fraction within (0, 1]");
      }
    }
  }

  /**
   * The deployment bundle made after a passing gate (see docs/operations.md).
   *
   * @param key the Ed25519 signing key (PKCS#8 PEM)
   * @param name the model's name; null for the model file's name
   * @param version the model's version; null for a hash of the model
   * @param bundle the bundle file; null for {@code bundle.zip} in the output folder
   */
  public record Packaging(
      @JsonProperty(value = "key", required = true) Path key,
      @JsonProperty("name") String name,
      @JsonProperty("version") String version,
      @JsonProperty("bundle") Path bundle) {}
}
