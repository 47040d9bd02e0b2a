package org.edgeopt.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.validate.Thresholds;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizerTest {
  /** Holdout samples each trial is measured on: enough for a 0.3-point bar to mean something, few enough to be quick. */
  private static final int HOLDOUT = 600;

  @TempDir Path dir;

  static OptimizeRequest fashion(Path out, double maxDrop, double minAgreement, int trials) {
    SampleModel s = SampleModels.fashionMnist();
    return OptimizeRequest.of(
            s.model(),
            "onnxruntime-cpu",
            s.calibration().images().getParent(),
            s.holdout().images().getParent(),
            s.preprocess(),
            new AccuracyBar(maxDrop, minAgreement),
            out)
        .withTrials(trials)
        .withSamples(200, HOLDOUT)
        .withLatencyRuns(30)
        .withClasses(s.classNames());
  }

  @Test
  void fashionSearchMeetsTheBarAndTheCompiledModelPassesIndependentValidation() throws Exception {
    Path out = dir.resolve("out");
    OptimizeResult r = new Optimizer(fashion(out, 0.3, 0, 6), OptimizeListener.silent()).run();
    assertTrue(r.met(), r.summary());
    assertEquals(0, r.exitCode());
    assertEquals(6, r.log().trials().size(), "trials run");
    // Plain methods first, as the strategy promises, each measured for real on this host.
    assertEquals(
        List.of("minmax", "percentile", "entropy", "mse"),
        r.log().trials().subList(0, 4).stream().map(t -> t.config().method()).toList());
    assertTrue(r.log().trials().stream().allMatch(t -> t.latencyMeasured() && t.latencyMs() > 0));
    assertEquals(r.winner().index(), r.log().winner());
    assertTrue(r.winner().meetsBar());
    // The search's choice is the fastest pooled structure within the bar (speeds within timing
    // noise
    // count as one, the smaller drop deciding); the head-to-head race may overrule it, and then
    // says so.
    Trial searchChoice = WinnerChoice.best(r.log().trials(), Objective.LATENCY).orElseThrow();
    java.util.Map<String, Double> speed = WinnerChoice.pooledSpeedups(r.log().trials());
    double chosen = speed.get(searchChoice.config().structureKey());
    for (Trial t : r.log().trials()) {
      double v = speed.get(t.config().structureKey());
      if (t.meetsBar() && v > chosen) {
        // Faster only within timing noise, and less accurate.
        assertTrue(
            v <= chosen * (1 + WinnerChoice.SAME_SPEED),
            "#" + t.index() + " is faster than the search's choice and also meets the bar");
        assertTrue(t.top1Drop() >= searchChoice.top1Drop(), "#" + t.index() + " is as accurate");
      }
    }
    if (r.winner().index() != searchChoice.index()) {
      assertTrue(r.log().why().contains("won the head-to-head race"), r.log().why());
    }
    Path compiled = out.resolve("model.ort.onnx");
    assertTrue(Files.isRegularFile(compiled), "the winner compiled for the target");
    assertTrue(Files.readString(out.resolve("search.html")).contains("<svg"));

    // Independently: edgeopt validate's own evaluation of the compiled model against the FP32 input
    // model.
    SampleModel s = SampleModels.fashionMnist();
    ValidationReport v =
        Validator.validate(
            ValidationConfig.of(s.model(), compiled, s.holdout().images().getParent())
                .withPreprocess(s.preprocess())
                .withThresholds(Thresholds.none().withMaxTop1DropPoints(0.3))
                .withLatency(0, 0)
                .withDiagnosisBatches(0)
                .withLimit(HOLDOUT));
    assertTrue(v.passed(), "re-validation: drop " + v.classification().top1DropPoints());
    assertEquals(
        r.winner().top1(),
        v.classification().candidateTop1(),
        1e-9,
        "the trial measured the same model");
  }

  @Test
  void pruningTrialsAreMadeMeasuredAndRecorded() throws Exception {
    // A loose bar: the plain trials meet it, so no fallback runs and trials 5 and 6 are the
    // prune phase's two channel levels of the cheapest plain trial within the bar.
    Path out = dir.resolve("out");
    OptimizeRequest request = fashion(out, 3.0, 0, 7).withSamples(200, 400).withLatencyRuns(5);
    OptimizeResult r = new Optimizer(request, OptimizeListener.silent()).run();
    List<Trial> trials = SearchLog.read(out.resolve(SearchLog.FILE)).trials();
    assertEquals(7, trials.size());
    Trial lighter = trials.get(5);
    Trial deeper = trials.get(6);
    assertEquals(List.of("prune", "prune"), List.of(lighter.phase(), deeper.phase()));
    assertEquals(0.125, lighter.config().pruneChannels());
    assertEquals(0.25, deeper.config().pruneChannels());
    TrialConfig unpruned = deeper.config().withPruneChannels(0);
    Trial base = trials.stream().filter(t -> t.config().equals(unpruned)).findFirst().orElseThrow();
    assertEquals("plain", base.phase());
    assertTrue(base.meetsBar());
    for (Trial t : List.of(lighter, deeper)) {
      assertTrue(t.latencyMeasured() && t.latencyMs() > 0, "#" + t.index() + " timed on this host");
      assertTrue(t.macs() <= base.macs(), "#" + t.index() + " has no more MACs than its base");
    }
    // A quarter of the channels gone: fewer MACs, a smaller file, a higher modelled speed-up.
    assertTrue(deeper.macs() < base.macs(), deeper.macs() + " vs " + base.macs());
    // Every layer keeps at least 3/4 of its input and output channels: at least 9/16 of the MACs.
    assertTrue(deeper.macs() >= base.macs() * 9 / 16, deeper.macs() + " vs " + base.macs());
    assertTrue(deeper.modelledSpeedup() < base.modelledSpeedup() * 16 / 9);
    assertTrue(deeper.sizeBytes() < base.sizeBytes());
    assertTrue(deeper.modelledSpeedup() > base.modelledSpeedup());
    // The recorded accuracy is the trial model's: edgeopt validate's evaluation of its file agrees.
    SampleModel s = SampleModels.fashionMnist();
    Path file = out.resolve(Optimizer.TRIALS).resolve("trial-006.onnx");
    ValidationReport v =
        Validator.validate(
            ValidationConfig.of(s.model(), file, s.holdout().images().getParent())
                .withPreprocess(s.preprocess())
                .withLatency(0, 0)
                .withDiagnosisBatches(0)
                .withLimit(400));
    assertEquals(deeper.top1(), v.classification().candidateTop1(), 1e-9);
    assertTrue(Files.readString(out.resolve("search.html")).contains("25% channels pruned"));
    assertTrue(r.met(), r.summary());
  }

  @Test
  void keepTrialsNoneRemovesTheTrialsModelsAndAResumedSearchStillEnds() throws Exception {
    Path out = dir.resolve("out");
    // A loose bar: two plain trials meet it, and the chosen one is made and compiled again.
    OptimizeResult r =
        new Optimizer(fashion(out, 5, 0, 2).withKeepTrialModels(false), OptimizeListener.silent())
            .run();
    assertTrue(r.met(), r.summary());
    assertFalse(Files.exists(out.resolve(Optimizer.TRIALS)), "trials/ removed");
    assertTrue(Files.isRegularFile(out.resolve("model.ort.onnx")), "the chosen model");
    assertTrue(Files.isRegularFile(out.resolve(SearchLog.FILE)));
    // Resumed without the earlier trials' models: the race skips them, the search goes on.
    OptimizeResult again =
        new Optimizer(
                fashion(out, 5, 0, 3).withKeepTrialModels(false).withResume(true),
                OptimizeListener.silent())
            .run();
    assertEquals(3, again.log().trials().size());
    assertTrue(again.met(), again.summary());
    assertFalse(Files.exists(out.resolve(Optimizer.TRIALS)));
  }

  @Test
  void unreachableBarExitsFourWithTheClosestTrial() throws Exception {
    // A 0-point drop with 100% agreement: INT8 on 600 holdout images does not reach it; two trials
    // only.
    OptimizeResult r =
        new Optimizer(fashion(dir.resolve("out"), 0, 100, 2), OptimizeListener.silent()).run();
    assertFalse(r.met(), r.summary());
    assertEquals(4, r.exitCode());
    assertNotNull(r.winner());
    double closest =
        r.log().trials().stream()
            .mapToDouble(t -> new AccuracyBar(0, 100).shortfall(t.top1Drop(), t.agreement()))
            .min()
            .orElseThrow();
    assertEquals(
        closest,
        new AccuracyBar(0, 100).shortfall(r.winner().top1Drop(), r.winner().agreement()),
        1e-12);
    assertTrue(r.log().why().contains("closest is #" + r.winner().index()), r.log().why());
    assertFalse(
        Files.exists(dir.resolve("out").resolve("model.ort.onnx")),
        "no model is offered when none meets the bar");
    assertTrue(Files.isRegularFile(dir.resolve("out").resolve("search.html")));
  }

  @Test
  void searchKilledAfterATrialResumesToTheSameTrialsAndWinner() throws Exception {
    int trials = 6;
    // Size is the objective so the winner, not only the trials, is the same whatever the timing.
    OptimizeRequest plain =
        fashion(dir.resolve("whole"), 0.3, 0, trials)
            .withObjective(Objective.SIZE)
            .withSeed(7)
            .withSamples(200, 400)
            .withLatencyRuns(5);
    OptimizeResult whole = new Optimizer(plain, OptimizeListener.silent()).run();

    Path cut = dir.resolve("cut");
    OptimizeRequest interrupted =
        fashion(cut, 0.3, 0, trials)
            .withObjective(Objective.SIZE)
            .withSeed(7)
            .withSamples(200, 400)
            .withLatencyRuns(5);
    OptimizeListener killer =
        new OptimizeListener() {
          @Override
          public void trialFinished(Trial trial, Trial best, int done, int max, Duration left) {
            if (done == 4) {
              throw new IllegalStateException("killed after trial " + trial.index());
            }
          }
        };
    assertThrows(IllegalStateException.class, () -> new Optimizer(interrupted, killer).run());
    assertEquals(4, SearchLog.read(cut.resolve(SearchLog.FILE)).trials().size());
    EdgeoptException again =
        assertThrows(
            EdgeoptException.class,
            () -> new Optimizer(interrupted, OptimizeListener.silent()).run());
    assertTrue(again.getMessage().contains("--resume"), again.getMessage());
    EdgeoptException other =
        assertThrows(
            EdgeoptException.class,
            () ->
                new Optimizer(interrupted.withSeed(8).withResume(true), OptimizeListener.silent())
                    .run());
    assertTrue(other.getMessage().contains("seed"), other.getMessage());

    OptimizeResult resumed =
        new Optimizer(interrupted.withResume(true), OptimizeListener.silent()).run();
    assertEquals(keys(whole), keys(resumed));
    // The resumed half made a pruned graph of its own (re-calibrated) and reached the same figures.
    assertTrue(
        resumed.log().trials().subList(4, trials).stream()
            .anyMatch(t -> t.config().pruneChannels() > 0),
        keys(resumed).toString());
    assertEquals(
        whole.log().trials().stream().map(Trial::top1).toList(),
        resumed.log().trials().stream().map(Trial::top1).toList());
    assertEquals(whole.log().winner(), resumed.log().winner());
    assertEquals(whole.met(), resumed.met());
  }

  private static List<String> keys(OptimizeResult r) {
    return r.log().trials().stream().map(t -> t.phase() + " " + t.config().key()).toList();
  }
}
