package org.edgeopt.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.Test;

/** The strategy and the winner choice on made-up trial results: the order of phases, determinism, the choice. */
class SearchStrategyTest {
  private static final List<String> RANKING = List.of("conv3", "conv1", "fc", "conv2");
  private static final AccuracyBar BAR = new AccuracyBar(0.3, 0);

  /**
   * Accuracy as a function of the configuration: more float layers, less drop; FP16 0.5 points;
   * pruning 2 points per share of channels removed, 2:4 half a point.
   */
  private static double drop(TrialConfig c) {
    double pruning = 2 * c.pruneChannels() + (c.twoFour() ? 0.5 : 0);
    if (!c.int8()) {
      return 0.5 + pruning;
    }
    double base =
        switch (c.method()) {
          case "minmax" -> 1.2;
          case "percentile" -> 0.9;
          case "entropy" -> 0.8;
          default -> 1.0;
        };
    return base - 0.25 * c.floatLayers().size() + pruning;
  }

  private static Trial trial(
      int index, String phase, TrialConfig c, Function<TrialConfig, Double> drop) {
    double d = drop.apply(c);
    double speed = (c.int8() ? 2.0 - 0.2 * c.floatLayers().size() : 1.1) * (1 + c.pruneChannels());
    return new Trial(
        index,
        phase,
        c,
        90 - d,
        d,
        100 - d,
        speed,
        0.1,
        true,
        speed,
        1000 + 10L * c.floatLayers().size(),
        100,
        1,
        BAR.met(d, 100 - d));
  }

  /** Runs the strategy as the optimizer does, ranking when asked, for at most {@code n} trials. */
  private static List<Trial> run(SearchStrategy s, int n, Function<TrialConfig, Double> drop) {
    List<Trial> history = new ArrayList<>();
    Map<String, List<String>> rankings = new java.util.HashMap<>();
    while (history.size() < n) {
      TrialConfig toRank = s.rankingNeeded(history, rankings);
      if (toRank != null) {
        rankings.put(toRank.key(), RANKING);
      }
      SearchStrategy.Proposal p = s.next(history, rankings);
      if (p == null) {
        break;
      }
      history.add(trial(history.size(), p.phase(), p.config(), drop));
    }
    return history;
  }

  private static SearchSpace cpu() throws Exception {
    return SearchSpace.of(TargetProfiles.get("onnxruntime-cpu"));
  }

  @Test
  void plainMethodsThenFallbackInDiagnosisOrderUntilTheBarIsMet() throws Exception {
    List<Trial> trials =
        run(new SearchStrategy(cpu(), Objective.LATENCY, 1), 10, SearchStrategyTest::drop);
    assertEquals(
        List.of("minmax", "percentile", "entropy", "mse", ""),
        trials.subList(0, 5).stream().map(t -> t.config().method()).toList());
    assertFalse(trials.subList(0, 5).stream().anyMatch(Trial::meetsBar));
    // From the plain INT8 trial closest to FP32 (entropy, 0.8), one more layer per trial, noisiest
    // first.
    assertEquals("fallback", trials.get(5).phase());
    assertEquals("entropy", trials.get(5).config().method());
    assertEquals(List.of("conv3"), trials.get(5).config().floatLayers());
    assertEquals(List.of("conv1", "conv3"), trials.get(6).config().floatLayers());
    assertTrue(trials.get(6).meetsBar(), "0.8 - 2 x 0.25 = 0.3");
    // The fallback phase stops at the first trial within the bar; that trial, the only one
    // within it, is then pruned at each channel level (no 2:4 on a CPU).
    assertEquals("prune", trials.get(7).phase());
    assertEquals(trials.get(6).config().withPruneChannels(0.125), trials.get(7).config());
    assertEquals(trials.get(6).config().withPruneChannels(0.25), trials.get(8).config());
    assertEquals("evolve", trials.get(9).phase());
    assertFalse(trials.stream().anyMatch(t -> t.config().twoFour()), "no 2:4 on onnxruntime-cpu");
    assertEquals(6, WinnerChoice.best(trials, Objective.LATENCY).orElseThrow().index());
  }

  @Test
  void theSameSeedGivesTheSameTrialsAndAnotherSeedOthers() throws Exception {
    List<String> a =
        keys(run(new SearchStrategy(cpu(), Objective.LATENCY, 7), 20, SearchStrategyTest::drop));
    List<String> b =
        keys(run(new SearchStrategy(cpu(), Objective.LATENCY, 7), 20, SearchStrategyTest::drop));
    List<String> c =
        keys(run(new SearchStrategy(cpu(), Objective.LATENCY, 8), 20, SearchStrategyTest::drop));
    assertEquals(a, b);
    assertNotEquals(a, c);
    assertEquals(a.size(), new java.util.HashSet<>(a).size(), "no configuration is measured twice");
  }

  @Test
  void edgeTpuSpaceHasNoFloatLayersNoFp16NoTwoFour() throws Exception {
    SearchSpace tpu = SearchSpace.of(TargetProfiles.get("edgetpu"));
    assertFalse(tpu.fp16());
    assertFalse(tpu.floatFallback());
    List<Trial> trials =
        run(new SearchStrategy(tpu, Objective.LATENCY, 0), 50, SearchStrategyTest::drop);
    // Four methods and three percentiles at three channel levels at most: 18 configurations.
    assertTrue(trials.size() > 6 && trials.size() <= 18, trials.size() + " trials");
    assertEquals(trials.size(), trials.stream().map(t -> t.config().key()).distinct().count());
    assertTrue(
        trials.stream()
            .allMatch(
                t ->
                    t.config().int8()
                        && t.config().floatLayers().isEmpty()
                        && !t.config().padChannels()
                        && !t.config().twoFour()));
    // Plain methods, then the closest (entropy, 0.8 points) pruned at both levels.
    assertEquals(List.of("prune", "prune"), List.of(trials.get(4).phase(), trials.get(5).phase()));
    assertEquals(
        List.of(0.125, 0.25),
        List.of(trials.get(4).config().pruneChannels(), trials.get(5).config().pruneChannels()));
    assertEquals("entropy", trials.get(4).config().method());
  }

  @Test
  void tensorRtAmpereTriesTwoFourAfterTheChannelLevels() throws Exception {
    SearchSpace ampere = SearchSpace.of(TargetProfiles.get("tensorrt-ampere"));
    assertTrue(ampere.twoFour());
    List<Trial> trials =
        run(new SearchStrategy(ampere, Objective.LATENCY, 3), 30, SearchStrategyTest::drop);
    List<Trial> pruned = trials.stream().filter(t -> t.phase().equals("prune")).toList();
    assertEquals(3, pruned.size());
    assertEquals(
        List.of(false, false, true), pruned.stream().map(t -> t.config().twoFour()).toList());
    assertEquals(0.0, pruned.get(2).config().pruneChannels(), "2:4 alone, not on top of channels");
    assertTrue(trials.stream().allMatch(t -> ampere.contains(t.config())));
  }

  @Test
  void speedsWithinTimingNoiseCountAsOneAndTheSmallerDropWins() {
    TrialConfig minmax = TrialConfig.int8("minmax", 0, true);
    TrialConfig oneFloat = minmax.withFloatLayers(List.of("conv3"));
    List<Trial> trials =
        List.of(
            new Trial(0, "plain", minmax, 90, -0.25, 94.25, 1.650, 1, true, 4, 100, 10, 1, true),
            new Trial(1, "evolve", oneFloat, 90, 0.25, 93.25, 1.668, 1, true, 4, 110, 10, 1, true),
            new Trial(
                2,
                "fallback",
                minmax.withFloatLayers(List.of("conv1")),
                90,
                0.5,
                92,
                1.75,
                1,
                true,
                4,
                110,
                10,
                1,
                true));
    // #2 is 5% faster than #1: a real difference, so it wins although it is the least accurate.
    assertEquals(2, WinnerChoice.best(trials, Objective.LATENCY).orElseThrow().index());
    // Without it, #1 is 1.1% faster than #0: timing noise, and #0 has the smaller drop.
    List<Trial> two = trials.subList(0, 2);
    assertEquals(0, WinnerChoice.best(two, Objective.LATENCY).orElseThrow().index());
    String why = WinnerChoice.why(two, two.get(0), new AccuracyBar(0.5, 0), Objective.LATENCY);
    assertTrue(why.contains("#1 INT8 minmax, 1 layer float, padded measured 1.67x"), why);
    assertTrue(why.contains("within 2% (timing noise), less accurate"), why);
  }

  @Test
  void winnerIsTheFastestStructureWithinTheBarAndTimingNoiseCannotPickAMethod() {
    TrialConfig minmax = TrialConfig.int8("minmax", 0, true);
    TrialConfig entropy = TrialConfig.int8("entropy", 0, true);
    List<Trial> trials =
        List.of(
            new Trial(0, "plain", minmax, 90, 0.2, 99, 1.30, 1, true, 4, 100, 10, 1, true),
            new Trial(1, "plain", entropy, 90, 0.1, 99, 1.20, 1, true, 4, 100, 10, 1, true),
            new Trial(
                2, "plain", TrialConfig.fp16(), 90, 0.0, 99, 0.8, 1, true, 2, 200, 10, 1, true),
            new Trial(
                3,
                "fallback",
                minmax.withFloatLayers(List.of("a")),
                90,
                0.5,
                98,
                1.9,
                1,
                true,
                3,
                110,
                10,
                1,
                false));
    // minmax and entropy share one graph structure: pooled to 1.25x, so the smaller drop (entropy)
    // wins;
    // the faster fallback trial is outside the bar.
    assertEquals(1, WinnerChoice.best(trials, Objective.LATENCY).orElseThrow().index());
    assertEquals(
        1,
        WinnerChoice.best(trials, Objective.SIZE).orElseThrow().index(),
        "equal size: the smaller drop");
    AccuracyBar impossible = new AccuracyBar(0, 100);
    Trial closest = WinnerChoice.choose(trials, impossible, Objective.LATENCY).orElseThrow();
    assertEquals(
        1, closest.index(), "all 1 point short of 100% agreement; entropy is the fastest of them");
    assertNull(WinnerChoice.best(List.of(), Objective.LATENCY).orElse(null));
  }

  private static List<String> keys(List<Trial> trials) {
    return trials.stream().map(t -> t.config().key()).toList();
  }
}
