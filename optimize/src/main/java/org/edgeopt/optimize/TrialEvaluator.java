package org.edgeopt.optimize;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.quantize.Fp16Converter;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.Precision;
import org.edgeopt.quantize.QuantizationReport;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.Thresholds;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;

/**
 * Makes and measures one trial with the stages themselves: a calibration table derived from the
 * statistics collected once, {@link ModelQuantizer}, and {@link Validator} on the holdout (with
 * batch-1 latency interleaved with FP32 where the host runs the target's kernels).
 *
 * <p>Trials share work: every calibration method's table comes from the same mergeable
 * statistics and is derived once per method and percentile; statistics are collected once per
 * distinct FP32 graph (the input model, and each pruning of it: {@link TrialGraphs}).
 */
final class TrialEvaluator {
  /** Untimed runs per model before a trial's latency is timed. */
  static final int WARMUP_RUNS = 20;

  private final OptimizeRequest request;
  private final TargetProfile profile;
  private final Path reference;
  private final String modelSha256;
  private final TrialGraphs graphs;
  private final CalibrationConfig calibration;
  private final Dataset calibrationData;
  private final CostModel costs;
  private final boolean measureLatency;
  private final Map<String, CalibrationTable> tables = new HashMap<>();

  TrialEvaluator(
      OptimizeRequest request,
      TargetProfile profile,
      Path reference,
      Graph floatGraph,
      String modelSha256,
      CalibrationStatistics statistics,
      CalibrationConfig calibration,
      Dataset calibrationData,
      boolean measureLatency) {
    this.request = request;
    this.profile = profile;
    this.reference = reference;
    this.modelSha256 = modelSha256;
    this.graphs =
        new TrialGraphs(
            floatGraph, statistics, calibrationData, calibration, request.model().toString());
    this.calibration = calibration;
    this.calibrationData = calibrationData;
    this.costs = new CostModel(floatGraph, profile);
    this.measureLatency = measureLatency;
  }

  /** Returns whether trial latency is measured on this host (else modelled). */
  boolean measuresLatency() {
    return measureLatency;
  }

  /** Returns the cost model trials are steered by. */
  CostModel costs() {
    return costs;
  }

  /**
   * Makes the trial's model into {@code file} (with its quantization report beside it) and
   * measures it on the holdout.
   */
  Trial evaluate(int index, String phase, TrialConfig config, Path file) throws EdgeoptException {
    long t0 = System.nanoTime();
    ModelQuantizer.Outcome outcome = quantize(config, false);
    write(outcome, file);
    // 2:4 sparse kernels exist only on the target (TensorRT); ONNX Runtime on this host would time
    // a dense model, so a sparse trial's speed is the cost model's.
    boolean timeIt = measureLatency && !config.twoFour();
    ValidationReport report = validate(file, timeIt, request.bar());
    ValidationReport.Classification c = report.classification();
    if (c == null) {
      throw EdgeoptException.invalid(
          request.model()
              + ": optimize needs a classifier (class scores and labels in the"
              + " holdout) to measure top-1; the model's first output was compared as a regression");
    }
    TrialGraphs.TrialGraph graph = graphs.of(config);
    double modelled = costs.speedup(graph.graph(), graph.sparseLayers(), config);
    boolean measured = timeIt && report.latency() != null;
    double speedup = measured ? report.latency().speedup() : modelled;
    double latencyMs = measured ? report.latency().candidate().p50Ms() : 0;
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": cannot read the trial model back: " + e.getMessage(), e);
    }
    return new Trial(
        index,
        phase,
        config,
        c.candidateTop1(),
        c.top1DropPoints(),
        c.agreementPercent(),
        speedup,
        latencyMs,
        measured,
        modelled,
        size,
        costs.macs(graph.graph(), graph.sparseLayers(), config),
        (System.nanoTime() - t0) / 1e9,
        request.bar().met(c.top1DropPoints(), c.agreementPercent()));
  }

  /**
   * Returns the quantized layers of {@code config} from the noisiest to the quietest: the
   * quantizer's own per-layer diagnosis (each layer's added-noise SQNR against FP32, measured on
   * {@link QuantizeConfig#DEFAULT_SENSITIVITY_SAMPLES} calibration samples), ties by name.
   */
  List<String> rank(TrialConfig config) throws EdgeoptException {
    return ranking(quantize(config, true).report());
  }

  /**
   * Quantizes the configuration's FP32 graph (the input model, pruned when it prunes) as {@code
   * config} says; with {@code rank}, measures per-layer SQNR too.
   */
  ModelQuantizer.Outcome quantize(TrialConfig config, boolean rank) throws EdgeoptException {
    QuantizeConfig qc =
        QuantizeConfig.forTarget(profile)
            .withPrecision(config.int8() ? Precision.INT8 : Precision.FP16)
            .withExclude(new java.util.TreeSet<>(config.floatLayers()))
            .withConvInputChannelMultiple(
                config.padChannels() ? profile.convInputChannelMultiple() : 0);
    CalibrationTable table = config.int8() ? table(config) : null;
    ModelQuantizer.Provenance prov =
        new ModelQuantizer.Provenance(
            request.model().toString(),
            modelSha256,
            table == null ? "" : "optimize:" + config.calibrationKey(),
            null);
    ModelQuantizer.Outcome q =
        ModelQuantizer.quantize(
            graphs.of(config).graph(),
            table,
            qc,
            rank && config.int8() ? calibrationData : null,
            prov);
    return config.fp16Islands() ? fp16Islands(q, config) : q;
  }

  /**
   * Returns the quantized model with its float layers in FP16: the quantize module's own FP16
   * conversion, every node but the float layers kept as it is, casts at the islands' borders. The
   * quantization report still lists those layers as float (it does not know the precision).
   */
  private ModelQuantizer.Outcome fp16Islands(ModelQuantizer.Outcome q, TrialConfig config)
      throws EdgeoptException {
    Set<String> keep = new TreeSet<>();
    q.graph().nodes().forEach(n -> keep.add(n.name()));
    for (String layer : config.floatLayers()) {
      if (!keep.remove(layer)) {
        throw new EdgeoptException(
            org.edgeopt.core.ExitCode.INTERNAL,
            request.model()
                + ": expected float layer '"
                + layer
                + "' in the quantized model to make it an FP16 island, found no such node",
            null);
      }
    }
    return new ModelQuantizer.Outcome(
        Fp16Converter.convert(q.graph(), true, keep, request.model() + " (FP16 islands)"),
        q.report());
  }

  /**
   * Validates {@code candidate} against the FP32 reference on the holdout, as {@code edgeopt
   * validate} would: the same evaluation, with latency when asked.
   */
  ValidationReport validate(Path candidate, boolean latency, AccuracyBar bar)
      throws EdgeoptException {
    Thresholds th =
        Thresholds.none()
            .withMaxTop1DropPoints(bar.maxTop1Drop())
            .withMinAgreementPercent(bar.minAgreement() > 0 ? bar.minAgreement() : null);
    ValidationConfig vc =
        ValidationConfig.of(reference, candidate, request.holdout())
            .withPreprocess(request.preprocess())
            .withClassNames(request.classes())
            .withThresholds(th)
            .withDiagnosisBatches(0)
            .withTarget(profile.name())
            .withLatency(latency ? request.latencyRuns() : 0, latency ? WARMUP_RUNS : 0)
            .withLimit(request.holdoutSamples() > 0 ? request.holdoutSamples() : Integer.MAX_VALUE);
    return Validator.validate(vc, ProgressListener.silent());
  }

  /**
   * Times {@code second} against {@code first} at batch 1, interleaved run for run, with twice
   * the trial's runs; {@code speedup} is first's p50 over second's.
   */
  ValidationReport.Latency headToHead(Path first, Path second) throws EdgeoptException {
    ValidationConfig vc =
        ValidationConfig.of(first, second, request.holdout())
            .withPreprocess(request.preprocess())
            .withDiagnosisBatches(0)
            .withTarget(profile.name())
            .withLatency(2 * request.latencyRuns(), WARMUP_RUNS)
            .withLimit(1);
    return Validator.validate(vc, ProgressListener.silent()).latency();
  }

  /**
   * Returns the calibration table a configuration uses, derived once per FP32 graph, method and
   * percentile.
   */
  CalibrationTable table(TrialConfig config) throws EdgeoptException {
    String key = config.graphKey() + "|" + config.calibrationKey();
    CalibrationTable t = tables.get(key);
    if (t == null) {
      CalibrationConfig cc =
          calibration.withMethod(CalibrationMethod.of(config.method(), "trial " + config.key()));
      if (config.percentile() > 0) {
        cc = cc.withPercentile(config.percentile());
      }
      t =
          Calibration.table(
              graphs.of(config).statistics(),
              cc,
              modelSha256,
              "",
              Map.of(
                  "data",
                  request.calibration().toString(),
                  "preprocess",
                  request.preprocess(),
                  "derivedBy",
                  "edgeopt optimize: one collection, every method",
                  "pruning",
                  config.graphKey().isEmpty() ? "none" : config.graphKey().strip()));
      tables.put(key, t);
    }
    return t;
  }

  private static void write(ModelQuantizer.Outcome outcome, Path file) throws EdgeoptException {
    try {
      outcome.write(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot write the trial model: " + e.getMessage(), e);
    }
  }

  /** Returns the quantized layers, the noisiest (lowest added-noise SQNR) first; ties by name. */
  private static List<String> ranking(QuantizationReport report) {
    return report.layers().stream()
        .filter(l -> !l.isFloat() && l.addedSqnrDb() != null)
        .sorted(
            Comparator.comparingDouble((QuantizationReport.LayerReport l) -> l.addedSqnrDb())
                .thenComparing(QuantizationReport.LayerReport::node))
        .map(QuantizationReport.LayerReport::node)
        .toList();
  }
}
