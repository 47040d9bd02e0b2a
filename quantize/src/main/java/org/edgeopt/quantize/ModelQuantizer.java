package org.edgeopt.quantize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;

/**
 * Quantizes a model end to end: INT8 QDQ or FP16, per-layer SQNR against FP32 on a few
 * calibration samples, automatic return of the worst layers to float until an error budget is
 * met, provenance in the model's metadata, and a {@link QuantizationReport}.
 */
public final class ModelQuantizer {
  /** Metadata key prefix of everything edgeopt stamps into a quantized model. */
  public static final String META = "edgeopt.";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The most calibration samples cross-layer equalization and bias correction measure on. */
  public static final int PASS_SAMPLES = 512;

  private ModelQuantizer() {}

  /**
   * Where the inputs came from, for error messages and provenance.
   *
   * @param model the model's path or name
   * @param modelSha256 SHA-256 of the model file (null: hash of its serialized graph)
   * @param calibration the calibration table's path or name (empty for FP16)
   * @param calibrationSha256 SHA-256 of the calibration table file (null: hash of its JSON)
   */
  public record Provenance(
      String model, String modelSha256, String calibration, String calibrationSha256) {}

  /**
   * A quantized model and its report.
   *
   * @param graph the quantized graph, with provenance metadata
   * @param report what was done and measured
   */
  public record Outcome(Graph graph, QuantizationReport report) {
    /** Writes the model to {@code out} and the report beside it ({@link QuantizationReport#pathFor}), atomically. */
    public Path write(Path out) throws IOException {
      OnnxModels.write(graph, out);
      Path r = QuantizationReport.pathFor(out);
      report.write(r);
      return r;
    }
  }

  /**
   * Quantizes {@code model}.
   *
   * @param table the calibration table (required for INT8, ignored for FP16)
   * @param data samples to measure per-layer SQNR on (the calibration data), or null to skip
   *     measuring; required when {@code config} asks for automatic fallback
   */
  public static Outcome quantize(
      Graph model,
      CalibrationTable table,
      QuantizeConfig config,
      Dataset data,
      Provenance provenance)
      throws EdgeoptException {
    String where = provenance.model();
    OnnxModels.requireOutputs(model, where);
    String modelSha =
        provenance.modelSha256() != null
            ? provenance.modelSha256()
            : Hashes.sha256(OnnxModels.toBytes(model));
    GraphPreparer.checkFinite(model, where);
    if (config.fallbackRequested() && data == null) {
      throw EdgeoptException.invalid(
          where
              + ": automatic fallback needs calibration data to measure per-layer SQNR"
              + " on; none was given");
    }
    return config.precision() == Precision.FP16
        ? fp16(model, config, data, provenance, modelSha)
        : int8(model, table, config, data, provenance, modelSha);
  }

  private static Outcome int8(
      Graph model,
      CalibrationTable table,
      QuantizeConfig config,
      Dataset data,
      Provenance prov,
      String modelSha)
      throws EdgeoptException {
    String where = prov.model();
    String tableWhere =
        prov.calibration() == null || prov.calibration().isEmpty()
            ? "calibration table"
            : prov.calibration();
    if (table == null) {
      throw EdgeoptException.invalid(
          where + ": INT8 quantization needs a calibration table; none was given");
    }
    List<String> warnings = new ArrayList<>();
    checkTableFitsModel(model, table, where, tableWhere, modelSha, warnings);
    GraphPreparer.Prepared prepared = GraphPreparer.prepare(model, where);
    List<QuantizationReport.PassReport> passes = new ArrayList<>();
    // The ranges quantization uses; the table itself stays what provenance names.
    CalibrationTable ranges = table;
    if ((config.crossLayerEqualization()
            || config.biasCorrection()
            || config.adaRound()
            || config.smoothing())
        && data == null) {
      throw EdgeoptException.invalid(
          where
              + ": cross-layer equalization, smoothing, bias correction and learned"
              + " rounding measure the model on calibration data; none was given");
    }
    if (config.crossLayerEqualization()) {
      CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(prepared.graph());
      int n = 0;
      BiasAbsorption.Result absorption = null;
      if (!cle.scaled().isEmpty()) {
        // The rescaled tensors' ranges change per channel: measured before, divided by the scales.
        ChannelStatistics before =
            ChannelStatistics.measure(
                prepared.graph(),
                List.copyOf(cle.scaledTensors().keySet()),
                data,
                passSamples(data),
                where);
        absorption = BiasAbsorption.apply(cle, data, passSamples(data), where);
        ranges = CrossLayerEqualization.rescale(table, cle, before, absorption.shiftedTensors(cle));
        n = before.samples();
      }
      List<String> changes = new ArrayList<>(prepared.changes());
      changes.add(
          "cross-layer equalization: "
              + cle.scaled().size()
              + " pairs equalized, "
              + cle.skipped().size()
              + " skipped, "
              + cle.iterations()
              + " sweeps; bias absorbed in "
              + (absorption == null ? 0 : absorption.absorbed().size())
              + " pairs");
      List<String> lines = new ArrayList<>(cle.changes());
      if (absorption != null) {
        lines.addAll(absorption.changes());
      }
      prepared =
          new GraphPreparer.Prepared(
              absorption == null ? cle.graph() : absorption.graph(), changes);
      passes.add(new QuantizationReport.PassReport("crossLayerEqualization", n, lines));
    }
    List<String> smoothingMuls = List.of();
    if (config.smoothing()) {
      List<String> inputs = SmoothQuant.candidates(prepared.graph());
      int n = 0;
      List<String> lines = List.of();
      if (!inputs.isEmpty()) {
        ChannelStatistics before =
            ChannelStatistics.measure(
                prepared.graph(), inputs, data, passSamples(data), true, where);
        SmoothQuant.Result sq = SmoothQuant.apply(prepared.graph(), config.smoothAlpha(), before);
        ranges = SmoothQuant.rescale(ranges, sq, before);
        smoothingMuls = sq.insertedMuls();
        n = sq.samples();
        lines = sq.changes();
        prepared =
            new GraphPreparer.Prepared(sq.graph(), prepared.changes(), prepared.biasShifts());
      }
      passes.add(new QuantizationReport.PassReport("smoothQuant", n, lines));
    }
    // The float weights before learned rounding moves them onto the grid, for bias correction.
    Map<String, org.edgeopt.core.graph.Tensor> floatWeights = prepared.graph().initializers();
    if (config.adaRound()) {
      // After equalization (it changes the weights to round), before bias correction (it measures
      // the rounded ones).
      AdaRound.Result ar =
          AdaRound.apply(
              prepared.graph(), config, data, passSamples(data), AdaRound.DEFAULT_SEED, where);
      prepared = new GraphPreparer.Prepared(ar.graph(), prepared.changes(), prepared.biasShifts());
      passes.add(new QuantizationReport.PassReport("adaRound", ar.samples(), ar.changes()));
    }
    if (config.biasCorrection()) {
      BiasCorrection.Result bc =
          BiasCorrection.measure(
              prepared.graph(),
              config.adaRound() ? floatWeights : Map.of(),
              config,
              data,
              passSamples(data),
              where);
      prepared = new GraphPreparer.Prepared(prepared.graph(), prepared.changes(), bc.shifts());
      passes.add(new QuantizationReport.PassReport("biasCorrection", bc.samples(), bc.changes()));
    }
    Map<String, String> floatNodes = new LinkedHashMap<>();
    config.exclude().forEach(n -> floatNodes.put(n, "excluded (--exclude)"));
    // Quantizing a smoothing Mul's input would quantize the outliers smoothing took out.
    smoothingMuls.forEach(n -> floatNodes.put(n, "smoothing scale (SmoothQuant), kept float"));
    FloatFallback.Outcome search =
        FloatFallback.run(prepared, ranges, config, floatNodes, data, where, tableWhere);
    QdqQuantizer.Result result = search.state().result();
    SqnrProbe.Measurement m = search.state().measurement();
    Map<String, Double> added = search.state().added();
    if (!search.met()) {
      warnings.add("the error budget is not met even with every layer in float");
    }
    // After fallback and SQNR: the padding changes no value, only the shapes the probes compare.
    ChannelPadding.Result padded =
        ChannelPadding.apply(result.graph(), config.convInputChannelMultiple());
    OnnxChecker.check(padded.graph(), where + " (quantized)");
    List<String> changes = new ArrayList<>(result.changes());
    changes.addAll(padded.changes());
    List<QuantizationReport.LayerReport> layers = new ArrayList<>();
    for (QdqQuantizer.Layer l : result.layers()) {
      layers.add(
          new QuantizationReport.LayerReport(
              l.node(),
              l.opType(),
              l.output(),
              m == null ? null : m.sqnrDb(l.output()),
              m == null ? null : added.get(l.node()),
              l.scale(),
              l.zeroPoint(),
              l.weightScaleMin(),
              l.weightScaleMax(),
              !l.quantized(),
              l.reason(),
              l.foldedActivation(),
              l.foldedActivationOp()));
    }
    Graph stamped = stamp(padded.graph(), config, prov, modelSha, table);
    QuantizationReport report =
        report(
            stamped,
            config,
            prov,
            modelSha,
            table,
            changes,
            layers,
            m,
            search.steps(),
            search.met(),
            warnings,
            passes);
    return new Outcome(stamped, report);
  }

  private static Outcome fp16(
      Graph model, QuantizeConfig config, Dataset data, Provenance prov, String modelSha)
      throws EdgeoptException {
    String where = prov.model();
    Graph half = Fp16Converter.convert(model, config.keepIoFloat32(), config.exclude(), where);
    OnnxChecker.check(half, where + " (fp16)");
    List<String> warnings = new ArrayList<>();
    SqnrProbe.Measurement m = null;
    boolean met = true;
    if (data != null && config.keepIoFloat32()) {
      m = SqnrProbe.measure(model, half, Map.of(), data, config.sensitivitySamples(), where);
      met = FloatFallback.budgetMet(config, m);
      if (!met) {
        warnings.add(
            "FP16 misses the error budget; keep the sensitive nodes in float32 with --exclude");
      }
    }
    List<QuantizationReport.LayerReport> layers = new ArrayList<>();
    for (Node n : model.nodes()) {
      if (config.exclude().contains(n.name())) {
        layers.add(
            new QuantizationReport.LayerReport(
                n.name(),
                n.opType(),
                n.output(),
                null,
                null,
                null,
                null,
                null,
                null,
                true,
                "excluded (--exclude)",
                null,
                null));
      }
    }
    Graph stamped = stamp(half, config, prov, modelSha, null);
    return new Outcome(
        stamped,
        report(
            stamped, config, prov, modelSha, null, List.of(), layers, m, List.of(), met, warnings,
            List.of()));
  }

  /** Rejects a table made for another model; a different model hash alone is only a warning. */
  private static void checkTableFitsModel(
      Graph model,
      CalibrationTable table,
      String where,
      String tableWhere,
      String modelSha,
      List<String> warnings)
      throws EdgeoptException {
    Set<String> values = new LinkedHashSet<>();
    model.inputs().forEach(v -> values.add(v.name()));
    model.nodes().forEach(n -> values.addAll(n.outputs()));
    long known = table.tensors().keySet().stream().filter(values::contains).count();
    if (!table.tensors().isEmpty() && known == 0) {
      String example = table.tensors().keySet().iterator().next();
      throw EdgeoptException.invalid(
          tableWhere
              + ": calibrated on another model: none of its "
              + table.tensors().size()
              + " tensors (e.g. '"
              + example
              + "') is in "
              + where
              + (table.modelSha256() == null || table.modelSha256().isEmpty()
                  ? ""
                  : " (the table names a model with SHA-256 " + table.modelSha256() + ")"));
    }
    if (table.modelSha256() != null
        && !table.modelSha256().isEmpty()
        && !table.modelSha256().equals(modelSha)) {
      warnings.add(
          "the calibration table names model SHA-256 "
              + table.modelSha256()
              + " but the input model is "
              + modelSha
              + "; its tensor names match, so it is used");
    }
  }

  private static Graph stamp(
      Graph g, QuantizeConfig config, Provenance prov, String modelSha, CalibrationTable t) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(META + "producer", Version.PRODUCER);
    meta.put(META + "version", Version.get());
    meta.put(META + "stage", "quantize");
    meta.put(META + "quantize.config", json(config.describe()));
    meta.put(META + "input_model.sha256", modelSha);
    if (t != null) {
      meta.put(
          META + "calibration.sha256",
          prov.calibrationSha256() != null
              ? prov.calibrationSha256()
              : Hashes.sha256(t.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      meta.put(META + "calibration.method", String.valueOf(t.method()));
      meta.put(META + "calibration.samples", Long.toString(t.samples()));
      meta.put(META + "calibration_data.sha256", String.valueOf(t.dataSha256()));
    }
    return g.toBuilder()
        .info(g.info().withMetadata(meta).withProducer(Version.PRODUCER, Version.get()))
        .build();
  }

  private static QuantizationReport report(
      Graph stamped,
      QuantizeConfig config,
      Provenance prov,
      String modelSha,
      CalibrationTable t,
      List<String> changes,
      List<QuantizationReport.LayerReport> layers,
      SqnrProbe.Measurement m,
      List<QuantizationReport.FallbackStep> steps,
      boolean met,
      List<String> warnings,
      List<QuantizationReport.PassReport> passes) {
    Map<String, String> meta = stamped.info().metadata();
    return new QuantizationReport(
        QuantizationReport.FORMAT_VERSION,
        Version.get(),
        prov.model(),
        modelSha,
        t == null ? "" : String.valueOf(prov.calibration()),
        t == null ? "" : meta.getOrDefault(META + "calibration.sha256", ""),
        t == null ? "" : String.valueOf(t.dataSha256()),
        t == null ? "" : String.valueOf(t.method()),
        config.describe(),
        changes,
        layers,
        m == null ? null : m.output().sqnrDb(),
        m == null || Double.isNaN(m.top1Agreement()) ? null : m.top1Agreement(),
        m == null ? 0 : m.samples(),
        steps,
        met,
        stamped.opHistogram(),
        warnings,
        passes);
  }

  /**
   * How many calibration samples the passes measure on: all of them up to {@link #PASS_SAMPLES};
   * means and extremes per channel settle well before that.
   */
  private static int passSamples(Dataset data) {
    return Math.min(Math.max(1, data.size()), PASS_SAMPLES);
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("configuration does not serialize", e);
    }
  }
}
