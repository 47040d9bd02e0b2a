package org.edgeopt.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.planners.cascade.CascadeConstraint;
import org.edgeopt.planners.cascade.CascadeJob;
import org.edgeopt.planners.cascade.CascadePlan;
import org.edgeopt.planners.split.Encoding;
import org.edgeopt.planners.split.Link;
import org.edgeopt.planners.split.SplitJob;
import org.edgeopt.planners.split.SplitRequest;
import org.edgeopt.planners.split.WireFormat;

/** The optional planning stages of the pipeline: {@code split:} and {@code cascade:} in {@code edgeopt.yaml}. */
final class PlannerStages {
  /** The cascade's confidence level in the pipeline: the command's default. */
  static final double LEVEL = 0.95;

  private PlannerStages() {}

  /** Plans the split of the FP32 model into {@code out/split/}. */
  static StageState.Entry split(
      PipelineConfig config, TargetProfile profile, Path floatModel, Path calibration, Path out)
      throws EdgeoptException {
    PipelineConfig.Split s = config.split();
    Preprocessing pre = Preprocessing.parse(config.preprocess());
    Dataset holdout =
        Datasets.open(
            config.holdout().data(), pre, config.classes(), config.holdout().labelColumn());
    WireFormat wire = WireFormat.parse(s.wire());
    CalibrationTable table =
        Files.isRegularFile(calibration) ? CalibrationTable.read(calibration) : null;
    Dataset calData =
        table != null
            ? null
            : Datasets.open(
                config.calibration().data(),
                pre,
                config.classes(),
                config.calibration().labelColumn());
    SplitRequest request =
        new SplitRequest(
            s.edge() == null ? profile : TargetProfiles.get(s.edge()),
            TargetProfiles.get(s.server()),
            new Link(Link.parseRate(s.uplink()), Link.parseDuration(s.rtt())),
            new Encoding(wire, s.zstd()),
            holdout,
            s.samples(),
            table,
            calData,
            Double.NaN,
            32,
            32,
            0);
    Path dir = out.resolve("split");
    SplitJob.Outcome done = SplitJob.run(floatModel, request, dir);
    EdgePartCompiler.Outcome compiled =
        EdgePartCompiler.compile(floatModel, done, table == null ? null : calibration, dir);
    List<String> files =
        new java.util.ArrayList<>(
            done.written().files().stream().map(p -> p.toAbsolutePath().toString()).toList());
    compiled.artifacts().forEach(p -> files.add(p.toAbsolutePath().toString()));
    return new StageState.Entry(
        "",
        files,
        String.format(
            Locale.ROOT,
            "cut %s, %.3f ms modelled; %s",
            done.plan().chosenCost().cut().label(),
            done.plan().chosenCost().totalSeconds(request.encoding(), request.link()) * 1e3,
            compiled.note()));
  }

  /** Plans the cascade of the quantized model (small) and the FP32 model (large) unless others are named. */
  static StageState.Entry cascade(PipelineConfig config, Path quantized, Path floatModel, Path out)
      throws EdgeoptException {
    PipelineConfig.Cascade c = config.cascade();
    Dataset holdout =
        Datasets.open(
            config.holdout().data(),
            Preprocessing.parse(config.preprocess()),
            config.classes(),
            config.holdout().labelColumn());
    Map<Integer, Double> floors = new LinkedHashMap<>();
    for (Map.Entry<String, Double> f : c.recallFloors().entrySet()) {
      List<String> names = config.classes();
      floors.put(
          names != null && names.contains(f.getKey())
              ? names.indexOf(f.getKey())
              : parseIndex(f.getKey()),
          f.getValue());
    }
    CascadeConstraint want =
        new CascadeConstraint(
            c.minAccuracy() > 0 ? c.minAccuracy() : Double.NaN,
            c.maxEscalation() > 0 ? c.maxEscalation() : Double.NaN,
            floors,
            LEVEL);
    Path dir = out.resolve("cascade");
    int limit = config.holdout().samples() > 0 ? config.holdout().samples() : Integer.MAX_VALUE;
    CascadePlan plan =
        CascadeJob.run(
            c.small() != null ? c.small() : quantized,
            c.large() != null ? c.large() : floatModel,
            holdout,
            limit,
            c.smallCost(),
            c.largeCost(),
            want,
            config.classes(),
            32,
            dir);
    String figure =
        plan.feasible()
            ? String.format(
                Locale.ROOT,
                "%s >= %.4g, escalation %.1f%%, top-1 %.2f%%",
                plan.signal().id(),
                plan.chosen().threshold(),
                100 * plan.chosen().escalation().estimate(),
                100 * plan.chosen().accuracy().estimate())
            : "no threshold meets " + want.describe();
    return new StageState.Entry(
        "",
        List.of(
            dir.resolve("cascade.json").toAbsolutePath().toString(),
            dir.resolve("cascade.html").toAbsolutePath().toString()),
        figure);
  }

  private static int parseIndex(String key) throws EdgeoptException {
    try {
      return Integer.parseInt(key);
    } catch (NumberFormatException e) {
      throw EdgeoptException.invalid(
          "cascade.recallFloors: expected a class name from classes: or an index, found '"
              + key
              + "'");
    }
  }
}
