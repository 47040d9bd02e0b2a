package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.IngestResult;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.Precision;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.Thresholds;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;

/**
 * Runs ingest, prune, calibrate, quantize, compile and validate from one {@link PipelineConfig},
 * skipping each stage whose inputs and config are unchanged since it last ran into the same
 * output folder. The command line and the Maven plugin both run exactly this. With an
 * {@code optimize:} section it runs the search of {@code edgeopt optimize} instead
 * ({@link OptimizeStage}).
 */
public final class Pipeline {
  private final PipelineConfig config;
  private final PipelineListener listener;
  private final Path out;
  private final List<StageResult> results = new ArrayList<>();
  private StageState state;

  /** Creates a pipeline for a loaded config. */
  public Pipeline(PipelineConfig config, PipelineListener listener) {
    this.config = config;
    this.listener = listener;
    this.out = config.output().toAbsolutePath().normalize();
  }

  /** A stage body: does the work and returns its artifacts and key figure. */
  @FunctionalInterface
  private interface StageWork {
    StageState.Entry run() throws EdgeoptException, IOException;
  }

  /** Runs every stage; returns the results and the gate verdict. */
  public PipelineResult run() throws EdgeoptException {
    TargetProfile profile = TargetProfiles.get(config.target());
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          out + ": cannot create the output folder: " + e.getMessage(), e);
    }
    try (PipelineLock lock = PipelineLock.acquire(out)) {
      return config.optimize() != null ? runSearch(profile) : runLocked(profile);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          out + ": cannot release the lock " + PipelineLock.FILE + ": " + e.getMessage(), e);
    }
  }

  private PipelineResult runLocked(TargetProfile profile) throws EdgeoptException {
    state = StageState.load(out);
    Path ingested = out.resolve("model.onnx");
    Path calibration = out.resolve("calibration.json");
    String suffix = config.precision().toLowerCase(Locale.ROOT);
    Path quantized = out.resolve("model." + suffix + ".onnx");

    stage(
        "ingest",
        "check, normalise and describe " + config.model().getFileName(),
        new Fingerprint("ingest")
            .file(config.model())
            .file(config.reference())
            .text(profile.name()),
        () -> ingest(profile, ingested));

    Path floatModel =
        PruneStage.enabled(config, profile) ? out.resolve("model.pruned.onnx") : ingested;
    if (PruneStage.enabled(config, profile)) {
      stage(
          "prune",
          config.pruning().mode() + " pruning within " + config.pruning().budget() + " points",
          new Fingerprint("prune")
              .file(ingested)
              .file(config.holdout().data())
              .text(config.preprocess())
              .text(config.pruning().mode())
              .text(config.pruning().budget())
              .text(profile.name()),
          () -> PruneStage.run(config, profile, ingested, floatModel));
    }

    if (suffix.equals("int8")) {
      stage(
          "calibrate",
          "INT8 ranges from " + config.calibration().data().getFileName(),
          new Fingerprint("calibrate")
              .file(floatModel)
              .file(config.calibration().data())
              .text(config.preprocess())
              .text(config.calibration().method())
              .text(config.calibration().samples())
              .text(profile.name()),
          () -> calibrate(profile, floatModel, calibration));
    }

    stage(
        "quantize",
        config.precision().toUpperCase(Locale.ROOT) + " for " + profile.name(),
        new Fingerprint("quantize")
            .file(floatModel)
            .file(suffix.equals("int8") ? calibration : null)
            .text(config.precision())
            .text(profile.name()),
        () -> quantize(profile, floatModel, calibration, quantized));

    Path[] candidate = {quantized};
    stage(
        "compile",
        "compile for " + profile.name(),
        new Fingerprint("compile")
            .file(quantized)
            .file(config.holdout().data())
            .text(config.preprocess())
            .text(profile.name())
            .text(config.compile().ioType())
            .text(config.compile().strict())
            .text(config.compile().buildEngine()),
        () -> compile(profile, quantized, calibration));
    candidate[0] = runnableArtifact(quantized);

    if (config.split() != null) {
      PipelineConfig.Split sp = config.split();
      stage(
          "split",
          "split inference "
              + (sp.edge() == null ? profile.name() : sp.edge())
              + " -> "
              + sp.server(),
          new Fingerprint("split")
              .file(floatModel)
              .file(config.holdout().data())
              .file(suffix.equals("int8") ? calibration : null)
              .text(config.preprocess())
              .text(sp)
              .text(profile.name()),
          () -> PlannerStages.split(config, profile, floatModel, calibration, out));
    }
    if (config.cascade() != null) {
      PipelineConfig.Cascade cs = config.cascade();
      Path small = cs.small() != null ? cs.small() : quantized;
      Path large = cs.large() != null ? cs.large() : floatModel;
      stage(
          "cascade",
          "cascade " + small.getFileName() + " -> " + large.getFileName(),
          new Fingerprint("cascade")
              .file(small)
              .file(large)
              .file(config.holdout().data())
              .text(config.preprocess())
              .text(cs)
              .text(config.holdout().samples()),
          () -> PlannerStages.cascade(config, quantized, floatModel, out));
    }

    ValidationReport[] report = {null};
    stage(
        "validate",
        "FP32 vs " + candidate[0].getFileName() + " on " + config.holdout().data().getFileName(),
        new Fingerprint("validate")
            .file(ingested)
            .file(candidate[0])
            .file(config.holdout().data())
            .text(config.preprocess())
            .text(config.holdout().samples())
            .text(config.gate()),
        () -> validate(ingested, candidate[0], report));
    if (report[0] == null) {
      report[0] = ReportWriter.readJson(out.resolve(ReportWriter.JSON));
    }
    ValidationReport r = report[0];
    if (config.packaging() != null && r.passed()) {
      // Only a model that passed its gate is packaged for the fleet.
      Path validation = out.resolve(ReportWriter.JSON);
      Path bundle = PackageStage.bundle(config, out);
      stage(
          "package",
          "sign " + bundle.getFileName() + " with the holdout baseline",
          new Fingerprint("package")
              .file(candidate[0])
              .file(suffix.equals("int8") ? calibration : null)
              .file(validation)
              .file(config.holdout().data())
              .file(config.packaging().key())
              .file(PackageStage.cascade(config, validation))
              .text(config.preprocess())
              .text(config.classes())
              .text(config.packaging())
              .text(profile.name()),
          () ->
              PackageStage.run(
                  config,
                  profile,
                  candidate[0],
                  suffix.equals("int8") ? calibration : null,
                  validation,
                  bundle));
    }
    String summary = summary(r);
    return new PipelineResult(results, r.passed(), r.gate().reasons(), summary, out);
  }

  /**
   * Runs the {@code optimize:} section as one stage: skipped, like the others, when the model,
   * data and config are unchanged since it last ran; the verdict is read from {@code search.json}.
   */
  private PipelineResult runSearch(TargetProfile profile) throws EdgeoptException {
    state = StageState.load(out);
    stage(
        "optimize",
        OptimizeStage.description(config),
        new Fingerprint("optimize")
            .file(config.model())
            .file(config.calibration().data())
            .file(config.holdout().data())
            .text(config.preprocess())
            .text(config.classes())
            .text(profile.name())
            .text(config.gate())
            .text(config.optimize())
            .text(config.calibration().samples())
            .text(config.holdout().samples()),
        () -> OptimizeStage.run(config, out));
    org.edgeopt.optimize.SearchLog log =
        org.edgeopt.optimize.SearchLog.read(out.resolve(org.edgeopt.optimize.SearchLog.FILE));
    if (config.packaging() != null && log.met()) {
      // As after a passing gate: the chosen, compiled and re-validated model is packaged for the
      // fleet.
      Path validation = out.resolve(ReportWriter.JSON);
      Path candidate = Path.of(ReportWriter.readJson(validation).candidate().path());
      Path calibration = out.resolve("calibration.json");
      Path table = Files.isRegularFile(calibration) ? calibration : null;
      Path bundle = PackageStage.bundle(config, out);
      stage(
          "package",
          "sign " + bundle.getFileName() + " with the holdout baseline",
          new Fingerprint("package")
              .file(candidate)
              .file(table)
              .file(validation)
              .file(config.holdout().data())
              .file(config.packaging().key())
              .file(PackageStage.cascade(config, validation))
              .text(config.preprocess())
              .text(config.classes())
              .text(config.packaging())
              .text(profile.name()),
          () -> PackageStage.run(config, profile, candidate, table, validation, bundle));
    }
    return new PipelineResult(
        results, log.met(), log.met() ? List.of() : List.of(log.why()), log.why(), out);
  }

  private void stage(String name, String description, Fingerprint fp, StageWork work)
      throws EdgeoptException {
    String fingerprint;
    try {
      fingerprint = fp.hex();
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          "stage " + name + ": cannot read its inputs: " + e.getMessage(), e);
    }
    StageState.Entry done = state.upToDate(name, fingerprint);
    long t0 = System.nanoTime();
    if (done != null) {
      StageResult r =
          new StageResult(
              name,
              true,
              (System.nanoTime() - t0) / 1e9,
              done.artifacts().stream().map(Path::of).toList(),
              done.keyFigure());
      results.add(r);
      listener.stageFinished(r);
      return;
    }
    listener.stageStarted(name, description);
    try {
      StageState.Entry e = work.run();
      StageState.Entry recorded =
          new StageState.Entry(fingerprint, e.artifacts(), e.keyFigure()).withHashes();
      state.record(name, recorded);
      StageResult r =
          new StageResult(
              name,
              false,
              (System.nanoTime() - t0) / 1e9,
              e.artifacts().stream().map(Path::of).toList(),
              e.keyFigure());
      results.add(r);
      listener.stageFinished(r);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          "stage " + name + ": cannot write to " + out + ": " + e.getMessage(), e);
    }
  }

  private static StageState.Entry entry(List<Path> artifacts, String keyFigure) {
    return new StageState.Entry(
        "", artifacts.stream().map(p -> p.toAbsolutePath().toString()).toList(), keyFigure);
  }

  private StageState.Entry ingest(TargetProfile profile, Path ingested)
      throws EdgeoptException, IOException {
    IngestOptions opts = IngestOptions.defaults().withTargets(List.of(profile.name()));
    if (config.reference() != null) {
      opts = opts.withReference(config.reference());
    }
    IngestResult r = Stages.ingest(config.model(), opts, out);
    String figure =
        String.format("%,d params, %,d MACs", r.card().parameterCount(), r.card().totalMacs());
    if (r.fidelity() != null) {
      figure += String.format(", TorchScript max |diff| %.2g", r.fidelity().maxAbsDiff());
    }
    return entry(List.of(ingested, out.resolve("model-card.json")), figure);
  }

  private Preprocessing preprocessing() throws EdgeoptException {
    return Preprocessing.parse(config.preprocess());
  }

  private StageState.Entry calibrate(TargetProfile profile, Path model, Path table)
      throws EdgeoptException, IOException {
    CalibrationConfig cc = CalibrationConfig.forTarget(profile);
    if (config.calibration().method() != null) {
      cc = cc.withMethod(CalibrationMethod.of(config.calibration().method(), "calibration.method"));
    }
    if (config.calibration().samples() > 0) {
      cc = cc.withSamples(config.calibration().samples());
    }
    CalibrationTable t =
        Stages.calibrate(
            model,
            config.calibration().data(),
            preprocessing(),
            cc,
            CalibrationProgress.NONE,
            table,
            null);
    return entry(
        List.of(table),
        t.tensors().size() + " tensors, " + t.method() + ", " + t.samples() + " samples");
  }

  private StageState.Entry quantize(
      TargetProfile profile, Path model, Path tableFile, Path quantized)
      throws EdgeoptException, IOException {
    boolean int8 = config.precision().equalsIgnoreCase("int8");
    QuantizeConfig qc =
        QuantizeConfig.forTarget(profile).withPrecision(int8 ? Precision.INT8 : Precision.FP16);
    Dataset data =
        int8
            ? Datasets.open(
                config.calibration().data(),
                preprocessing(),
                config.classes(),
                config.calibration().labelColumn())
            : null;
    Stages.Quantized q =
        Stages.quantize(profile, model, int8 ? tableFile : null, qc, data, quantized, "precision");
    ModelQuantizer.Outcome o = q.outcome();
    Path reportFile = q.report();
    long floatLayers = o.report().layers().stream().filter(l -> l.isFloat()).count();
    return entry(
        List.of(quantized, reportFile),
        o.report().layers().size() + " layers, " + floatLayers + " kept in float");
  }

  private StageState.Entry compile(TargetProfile profile, Path quantized, Path calibration)
      throws EdgeoptException {
    Map<String, String> options = new java.util.LinkedHashMap<>();
    if (config.compile().ioType() != null) {
      options.put("io-type", config.compile().ioType());
    }
    if (config.compile().buildEngine()) {
      options.put("build-engine", "true");
    }
    if (Files.isRegularFile(calibration)) {
      options.put("calibration", calibration.toString());
    }
    // Targets that can run their artifact check it against the quantized ONNX on real samples.
    options.put("verify-data", config.holdout().data().toString());
    options.put("verify-preprocess", config.preprocess());
    // The whole holdout (or the part validate uses), not the target's default sample count.
    options.put(
        "verify-limit",
        String.valueOf(
            config.holdout().samples() > 0 ? config.holdout().samples() : Integer.MAX_VALUE));
    CompileResult r =
        Stages.compile(
                quantized,
                profile,
                out,
                config.precision().toLowerCase(Locale.ROOT),
                config.compile().strict(),
                options)
            .result();
    String figure =
        (r.compatible() ? "fully mapped" : "NOT fully mapped")
            + (r.messages().isEmpty() ? "" : "; " + r.messages().get(0));
    return entry(r.artifacts(), figure);
  }

  /** Returns the compiled artifact validation should run: the first runnable one, else the quantized ONNX. */
  private Path runnableArtifact(Path quantized) {
    StageResult compile = results.get(results.size() - 1);
    for (Path p : compile.artifacts()) {
      String n = p.getFileName().toString();
      if (n.endsWith(".tflite") || n.endsWith(".onnx")) {
        return p;
      }
    }
    return quantized;
  }

  private StageState.Entry validate(Path reference, Path candidate, ValidationReport[] holder)
      throws EdgeoptException {
    PipelineConfig.Gate gate = config.gate();
    Thresholds th =
        Thresholds.none()
            .withMaxTop1DropPoints(gate.maxTop1Drop())
            .withMinAgreementPercent(gate.minAgreement())
            .withMaxP95LatencyMs(gate.maxP95LatencyMs() > 0 ? gate.maxP95LatencyMs() : null);
    ValidationConfig vc =
        ValidationConfig.of(reference, candidate, config.holdout().data())
            .withPreprocess(config.preprocess())
            .withClassNames(config.classes())
            .withLabelColumn(config.holdout().labelColumn())
            .withThresholds(th)
            .withLimit(
                config.holdout().samples() > 0 ? config.holdout().samples() : Integer.MAX_VALUE);
    Stages.Validated v = Stages.validate(vc, ProgressListener.silent(), out);
    ValidationReport r = v.report();
    List<Path> files = v.files();
    holder[0] = r;
    return entry(files, (r.passed() ? "PASS" : "FAIL") + ": " + summary(r));
  }

  private static String summary(ValidationReport r) {
    if (r.classification() == null) {
      return "output SQNR " + String.format("%.1f dB", r.outputs().sqnrDb());
    }
    var c = r.classification();
    return String.format(
        "top-1 FP32 %.2f%% -> %.2f%% (drop %.2f points), agreement %.2f%% on %d samples",
        c.referenceTop1(),
        c.candidateTop1(),
        c.top1DropPoints(),
        c.agreementPercent(),
        c.samples());
  }
}
