package org.edgeopt.optimize;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.IngestResult;
import org.edgeopt.ingest.Ingestor;

/**
 * Runs a search: ingests the model, collects calibration statistics once, runs trials proposed
 * by {@link SearchStrategy} until the trial count or the budget is spent (recording each in
 * {@code search.json}), then makes, compiles and re-validates the chosen model and writes the
 * Pareto page.
 *
 * <pre>{@code
 * OptimizeRequest r = OptimizeRequest.of(model, "onnxruntime-cpu", calibration, holdout, preprocess,
 *     new AccuracyBar(0.3, 0), Path.of("out")).withTrials(12);
 * OptimizeResult result = new Optimizer(r, OptimizeListener.silent()).run();
 * }</pre>
 */
public final class Optimizer {
  /** The folder inside the output folder that holds every trial's model. */
  public static final String TRIALS = "trials";

  private final OptimizeRequest request;
  private final OptimizeListener listener;
  private final Path out;

  /** Creates a search for a request. */
  public Optimizer(OptimizeRequest request, OptimizeListener listener) {
    this.request = request;
    this.listener = listener;
    this.out = request.output().toAbsolutePath().normalize();
  }

  /**
   * Runs the search to its end.
   *
   * @throws EdgeoptException (invalid input) for a missing or unreadable model or data, a
   *     non-classifier, or a {@code search.json} that belongs to another search
   */
  public OptimizeResult run() throws EdgeoptException {
    long started = System.nanoTime();
    TargetProfile profile = TargetProfiles.get(request.target());
    requireExists(request.model(), "model");
    requireExists(request.calibration(), "calibration data");
    requireExists(request.holdout(), "holdout data");
    Preprocessing pre = Preprocessing.parse(request.preprocess());
    Path logFile = out.resolve(SearchLog.FILE);
    Map<String, String> fingerprint = fingerprint(profile);
    SearchLog log = null;
    if (Files.exists(logFile)) {
      if (!request.resume()) {
        throw EdgeoptException.invalid(
            logFile
                + ": a search was already run into this folder: expected --resume to"
                + " continue it, or another output folder");
      }
      log = SearchLog.read(logFile);
      if (!log.fingerprint().equals(fingerprint)) {
        throw EdgeoptException.invalid(
            logFile
                + ": recorded for another search ("
                + difference(log.fingerprint(), fingerprint)
                + "): expected the same model, data, target, bar, objective, seed and samples to resume");
      }
    }
    try {
      Files.createDirectories(out.resolve(TRIALS));
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          out + ": cannot create the output folder: " + e.getMessage(), e);
    }

    listener.step("ingest " + request.model().getFileName());
    IngestResult ingested =
        new Ingestor()
            .ingest(request.model(), IngestOptions.defaults().withTargets(List.of(profile.name())));
    try {
      Ingestor.write(ingested, out);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          out + ": cannot write the ingested model: " + e.getMessage(), e);
    }
    Path reference = out.resolve(Ingestor.MODEL_FILE);

    listener.step("calibration statistics, collected once for every method");
    CalibrationConfig cc = CalibrationConfig.forTarget(profile).withHistogram(true);
    if (request.calibrationSamples() > 0) {
      cc = cc.withSamples(request.calibrationSamples());
    }
    Dataset calibration = Datasets.open(request.calibration(), pre, null, null);
    CalibrationStatistics statistics =
        Calibration.collect(ingested.graph(), calibration, cc, CalibrationProgress.NONE);
    boolean measure =
        profile.target().equals("onnxruntime") && profile.cpuMismatch(HostCpu.current()).isEmpty();
    TrialEvaluator evaluator =
        new TrialEvaluator(
            request,
            profile,
            reference,
            ingested.graph(),
            fingerprint.get("model"),
            statistics,
            cc,
            calibration,
            measure);

    double before = log == null ? 0 : log.searchSeconds();
    if (log == null) {
      log =
          new SearchLog(
              SearchLog.FORMAT_VERSION,
              Version.get(),
              fingerprint,
              describe(),
              0,
              measure ? "measured" : "modelled",
              0,
              List.of(),
              Map.of(),
              -1,
              false,
              "");
    }
    SearchStrategy strategy =
        new SearchStrategy(
            SearchSpace.of(profile).forGraph(ingested.graph(), request.model().toString()),
            request.objective(),
            request.seed());
    log = search(log, strategy, evaluator, logFile, before, started);

    List<Trial> trials = log.trials();
    Trial chosen = WinnerChoice.choose(trials, request.bar(), request.objective()).orElse(null);
    List<Path> artifacts = new ArrayList<>();
    boolean met = chosen != null && chosen.meetsBar();
    String why = WinnerChoice.why(trials, chosen, request.bar(), request.objective());
    if (met && measure && request.objective() == Objective.LATENCY) {
      listener.step("race the fastest graph structures head to head");
      LatencyRace.Result race = LatencyRace.run(trials, chosen, this::trialFile, evaluator);
      race.lines().forEach(l -> listener.step("race: " + l));
      if (race.winner() != chosen) {
        why =
            "#"
                + race.winner().index()
                + " "
                + race.winner().config().label()
                + " won the head-to-head race"
                + " against the search's choice; search: "
                + why;
        chosen = race.winner();
      }
      if (!race.lines().isEmpty()) {
        why += "; race: " + String.join("; ", race.lines());
      }
    }
    if (met) {
      FinalModel.Outcome fin =
          new FinalModel(request, profile, out, evaluator, listener).make(chosen);
      artifacts.addAll(fin.artifacts());
      met = fin.met();
      if (!met) {
        why =
            "the compiled model misses the bar on re-validation: "
                + fin.summary()
                + "; search: "
                + why;
      }
    }
    if (!request.keepTrialModels()) {
      // After the race and the final model, which is made again from its configuration.
      removeTrialModels();
      listener.step("removed the trials' models from " + out.resolve(TRIALS));
    }
    double seconds = before + (System.nanoTime() - started) / 1e9;
    log = log.withVerdict(chosen == null ? -1 : chosen.index(), met, why, seconds);
    log.write(logFile);
    Path page = out.resolve(SearchPage.FILE);
    SearchPage.write(log, request, page);
    artifacts.add(logFile);
    artifacts.add(page);
    String summary = (met ? "met: " : "NOT met: ") + why;
    return new OptimizeResult(log, chosen, met, artifacts, summary);
  }

  /**
   * Returns whether the output folder holds a {@code search.json} that this request can resume:
   * one recorded for the same model, data, target, bar, objective, seed and samples.
   */
  public boolean canResume() throws EdgeoptException {
    Path logFile = out.resolve(SearchLog.FILE);
    return Files.exists(logFile)
        && SearchLog.read(logFile)
            .fingerprint()
            .equals(fingerprint(TargetProfiles.get(request.target())));
  }

  private SearchLog search(
      SearchLog log,
      SearchStrategy strategy,
      TrialEvaluator evaluator,
      Path logFile,
      double before,
      long started)
      throws EdgeoptException {
    Duration budget = request.budget();
    while (log.trials().size() < request.maxTrials()) {
      double spent = before + (System.nanoTime() - started) / 1e9;
      double mean = log.trials().stream().mapToDouble(Trial::seconds).average().orElse(0);
      if (spent + mean > budget.toMillis() / 1000.0) {
        listener.step(
            String.format(
                Locale.ROOT, "budget %s reached after %d trials", budget, log.trials().size()));
        break;
      }
      TrialConfig toRank = strategy.rankingNeeded(log.trials(), log.rankings());
      if (toRank != null) {
        listener.step("rank the layers of " + toRank.label() + " by added-noise SQNR");
        log =
            log.withRanking(
                toRank.key(), evaluator.rank(toRank), before + (System.nanoTime() - started) / 1e9);
        log.write(logFile);
      }
      SearchStrategy.Proposal p = strategy.next(log.trials(), log.rankings());
      if (p == null) {
        listener.step("search space exhausted after " + log.trials().size() + " trials");
        break;
      }
      int index = log.trials().size();
      Trial t = evaluator.evaluate(index, p.phase(), p.config(), trialFile(index));
      log = log.with(t, before + (System.nanoTime() - started) / 1e9);
      if (index == 0) {
        // The FP32 figure comes with the first trial: validate measured both models.
        log =
            new SearchLog(
                log.formatVersion(),
                log.version(),
                log.fingerprint(),
                log.request(),
                t.top1() + t.top1Drop(),
                log.latency(),
                log.searchSeconds(),
                log.trials(),
                log.rankings(),
                -1,
                false,
                "");
      }
      log.write(logFile);
      Trial best = WinnerChoice.choose(log.trials(), request.bar(), request.objective()).orElse(t);
      double left = budget.toMillis() / 1000.0 - log.searchSeconds();
      listener.trialFinished(
          t,
          best,
          log.trials().size(),
          request.maxTrials(),
          Duration.ofMillis(Math.max(0, Math.round(left * 1000))));
    }
    return log;
  }

  /** Deletes {@code trials/} and what it holds (each trial's model and quantization report). */
  private void removeTrialModels() throws EdgeoptException {
    Path dir = out.resolve(TRIALS);
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          dir + ": cannot remove the trials' models (--keep-trials none): " + e.getMessage(), e);
    }
  }

  private Path trialFile(Trial t) {
    return trialFile(t.index());
  }

  private Path trialFile(int index) {
    return out.resolve(TRIALS).resolve(String.format(Locale.ROOT, "trial-%03d.onnx", index));
  }

  /** Returns what the trials depend on; a resumed search must match it. */
  private Map<String, String> fingerprint(TargetProfile profile) throws EdgeoptException {
    Map<String, String> m = new LinkedHashMap<>();
    try {
      m.put("model", Hashes.sha256(request.model()));
      m.put("calibration", Hashes.sha256Tree(request.calibration()));
      m.put("holdout", Hashes.sha256Tree(request.holdout()));
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          "cannot read the inputs to fingerprint the search: " + e.getMessage(), e);
    }
    m.put("target", profile.name());
    m.put("preprocess", request.preprocess());
    m.put("bar", request.bar().maxTop1Drop() + "/" + request.bar().minAgreement());
    m.put("objective", request.objective().id());
    m.put("seed", Long.toString(request.seed()));
    m.put("samples", request.calibrationSamples() + "/" + request.holdoutSamples());
    return m;
  }

  private Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model", request.model().toString());
    m.put("target", request.target());
    m.put("calibration", request.calibration().toString());
    m.put("holdout", request.holdout().toString());
    m.put("preprocess", request.preprocess());
    m.put("maxTop1Drop", Double.toString(request.bar().maxTop1Drop()));
    m.put("minAgreement", Double.toString(request.bar().minAgreement()));
    m.put("objective", request.objective().id());
    m.put("budget", request.budget().toString());
    m.put("trials", Integer.toString(request.maxTrials()));
    m.put("seed", Long.toString(request.seed()));
    return m;
  }

  private static String difference(Map<String, String> recorded, Map<String, String> now) {
    List<String> keys = new ArrayList<>();
    now.forEach(
        (k, v) -> {
          if (!v.equals(recorded.get(k))) {
            keys.add(k);
          }
        });
    return "differs in " + String.join(", ", keys);
  }

  private static void requireExists(Path p, String what) throws EdgeoptException {
    if (!Files.exists(p)) {
      throw EdgeoptException.invalid(p + ": " + what + " not found");
    }
  }
}
