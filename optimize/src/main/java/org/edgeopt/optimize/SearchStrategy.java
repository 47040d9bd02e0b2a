package org.edgeopt.optimize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Proposes the next trial from the trials so far: a pure function of the space, the seed and
 * the history, so a resumed search proposes exactly what the uninterrupted one would have.
 *
 * <ol>
 *   <li><b>plain</b>: every calibration method as the profile runs it, then FP16: cheap, and
 *       often enough (Intel Neural Compressor's {@code basic} strategy starts the same way); the
 *       plain INT8 trial closest to FP32 then has its layers ranked once ({@link #rankingNeeded});
 *   <li><b>fallback</b>: from the plain INT8 trial closest to FP32, return layers to float one
 *       more at a time in the order of the quantizer's per-layer diagnosis (noisiest first), until
 *       one meets the bar (NNCF's accuracy-control loop);
 *   <li><b>prune</b>: the cheapest (by modelled cost) unpruned plain or fallback trial within the
 *       bar, or the plain INT8 trial closest to FP32 when none is, pruned at each channel level of
 *       the space (and to 2:4 where the target exploits it): one trial each, so every search
 *       learns early whether pruning pays on this model;
 *   <li><b>evolve</b>: a multi-objective evolutionary loop in the manner of GSEMO: pick a parent
 *       uniformly from the Pareto archive of (top-1 drop, modelled cost) of the trials within the
 *       bar (of all trials while none is) and change one thing
 *       (method or percentile, one float layer more or less, padding, channel pruning level, 2:4,
 *       float layers in FP16 or FP32),
 *       skipping configurations
 *       already measured. It steers by the deterministic cost model, not by measured latency, so
 *       the same seed gives the same trials on every machine.
 * </ol>
 */
final class SearchStrategy {
  /** How many mutations are tried for one proposal before the space counts as exhausted. */
  static final int ATTEMPTS = 200;

  private final SearchSpace space;
  private final Objective objective;
  private final long seed;

  SearchStrategy(SearchSpace space, Objective objective, long seed) {
    this.space = space;
    this.objective = objective;
    this.seed = seed;
  }

  /**
   * A proposal.
   *
   * @param phase which phase proposed it
   * @param config the configuration
   */
  record Proposal(String phase, TrialConfig config) {}

  /**
   * Returns the configuration whose layers must be ranked before the next proposal (the plain
   * INT8 trial closest to FP32, once every plain trial ran), or null when none is needed. Only
   * that one is ranked: measuring per-layer SQNR costs more than a trial on a large model.
   */
  TrialConfig rankingNeeded(List<Trial> history, Map<String, List<String>> rankings) {
    if (!space.floatFallback() || !plainDone(history)) {
      return null;
    }
    Trial base = closestPlainInt8(history);
    return base == null || rankings.containsKey(base.config().key()) ? null : base.config();
  }

  /**
   * Returns the next trial to run, or null when the space has nothing new to offer.
   *
   * @param rankings the layer rankings measured so far, by configuration key
   */
  Proposal next(List<Trial> history, Map<String, List<String>> rankings) {
    Set<String> seen = new HashSet<>();
    history.forEach(t -> seen.add(t.config().key()));
    for (TrialConfig c : space.plain()) {
      if (!seen.contains(c.key())) {
        return new Proposal("plain", c);
      }
    }
    List<String> ranking = rankingOf(history, rankings);
    Proposal fallback = fallback(history, seen, ranking);
    if (fallback != null) {
      return fallback;
    }
    Proposal pruned = prune(history, seen);
    if (pruned != null) {
      return pruned;
    }
    return evolve(history, seen, ranking);
  }

  private boolean plainDone(List<Trial> history) {
    Set<String> seen = new HashSet<>();
    history.forEach(t -> seen.add(t.config().key()));
    return space.plain().stream().allMatch(c -> seen.contains(c.key()));
  }

  private Proposal fallback(List<Trial> history, Set<String> seen, List<String> order) {
    if (!space.floatFallback()
        || history.stream().anyMatch(t -> t.phase().equals("fallback") && t.meetsBar())) {
      return null;
    }
    Trial base = closestPlainInt8(history);
    if (base == null || base.meetsBar()) {
      return null;
    }
    for (int k = 1; k <= order.size(); k++) {
      TrialConfig c = base.config().withFloatLayers(order.subList(0, k));
      if (!seen.contains(c.key())) {
        return new Proposal("fallback", c);
      }
    }
    return null;
  }

  private Proposal prune(List<Trial> history, Set<String> seen) {
    Trial base = pruneBase(history);
    if (base == null) {
      return null;
    }
    for (TrialConfig c : space.pruned(base.config())) {
      if (!seen.contains(c.key())) {
        return new Proposal("prune", c);
      }
    }
    return null;
  }

  /**
   * Returns the trial the prune phase prunes: the cheapest by modelled cost among the plain and
   * fallback trials within the bar (the earliest of equals), else the plain INT8 trial closest to
   * FP32. Both phases are over when this is asked, so the base does not move afterwards.
   */
  private Trial pruneBase(List<Trial> history) {
    return history.stream()
        .filter(t -> (t.phase().equals("plain") || t.phase().equals("fallback")) && t.meetsBar())
        .min(
            Comparator.comparingDouble((Trial t) -> t.cost(objective, false))
                .thenComparingInt(Trial::index))
        .orElseGet(() -> closestPlainInt8(history));
  }

  private static Trial closestPlainInt8(List<Trial> history) {
    return history.stream()
        .filter(t -> t.phase().equals("plain") && t.config().int8())
        .min(
            Comparator.comparingDouble(Trial::top1Drop)
                .thenComparing(t -> -t.agreement())
                .thenComparingInt(Trial::index))
        .orElse(null);
  }

  private Proposal evolve(List<Trial> history, Set<String> seen, List<String> ranking) {
    // Parents come from the front of the trials within the bar when there are any: a cheap trial
    // far outside it (a deeply pruned model, say) is on the whole front, but its neighbours are
    // no use, and drawing it would spend the budget there.
    List<Trial> within = history.stream().filter(Trial::meetsBar).toList();
    List<Trial> archive = paretoArchive(within.isEmpty() ? history : within, objective);
    if (archive.isEmpty()) {
      return null;
    }
    // One stream per trial number: independent of how the history was reached (resumed or not).
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + history.size());
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Trial parent = archive.get(rng.nextInt(archive.size()));
      TrialConfig child = mutate(parent.config(), ranking, rng);
      if (child != null && space.contains(child) && !seen.contains(child.key())) {
        return new Proposal("evolve", child);
      }
    }
    return null;
  }

  private TrialConfig mutate(TrialConfig c, List<String> ranking, SplittableRandom rng) {
    if (!c.int8()) {
      // FP16's only knobs are pruning; otherwise an INT8 neighbour with its pruning stands in.
      if (rng.nextBoolean()) {
        return c.withPruneChannels(
            space.pruneLevels().get(rng.nextInt(space.pruneLevels().size())));
      }
      return TrialConfig.int8(
              space.methods().get(rng.nextInt(space.methods().size())),
              space.percentiles().get(0),
              space.padding())
          .withPruneChannels(c.pruneChannels())
          .withTwoFour(c.twoFour());
    }
    int kind = rng.nextInt(7);
    switch (kind) {
      case 0 -> {
        String m = space.methods().get(rng.nextInt(space.methods().size()));
        double p = space.percentiles().get(rng.nextInt(space.percentiles().size()));
        return c.withMethod(m, p);
      }
      case 1 -> {
        // One more layer in float: among the three noisiest still quantized.
        List<String> candidates = new ArrayList<>();
        for (String l : ranking) {
          if (!c.floatLayers().contains(l) && candidates.size() < 3) {
            candidates.add(l);
          }
        }
        if (candidates.isEmpty()) {
          return null;
        }
        List<String> f = new ArrayList<>(c.floatLayers());
        f.add(candidates.get(rng.nextInt(candidates.size())));
        return c.withFloatLayers(f);
      }
      case 2 -> {
        if (c.floatLayers().isEmpty()) {
          return null;
        }
        List<String> f = new ArrayList<>(c.floatLayers());
        f.remove(rng.nextInt(f.size()));
        return c.withFloatLayers(f);
      }
      case 3 -> {
        return space.padding() ? c.withPadding(!c.padChannels()) : null;
      }
      case 4 -> {
        return c.withPruneChannels(
            space.pruneLevels().get(rng.nextInt(space.pruneLevels().size())));
      }
      case 5 -> {
        return space.twoFour() ? c.withTwoFour(!c.twoFour()) : null;
      }
      default -> {
        return space.fp16Islands() && !c.floatLayers().isEmpty()
            ? c.withFp16Islands(!c.fp16Islands())
            : null;
      }
    }
  }

  /** Returns the layer ranking of the plain INT8 trial closest to FP32, or an empty list. */
  private static List<String> rankingOf(List<Trial> history, Map<String, List<String>> rankings) {
    Trial base = closestPlainInt8(history);
    return base == null ? List.of() : rankings.getOrDefault(base.config().key(), List.of());
  }

  /**
   * Returns the trials no other trial beats on both top-1 drop and modelled cost (ties kept
   * once, the earliest), in trial order.
   */
  static List<Trial> paretoArchive(List<Trial> history, Objective objective) {
    List<Trial> front = new ArrayList<>();
    for (Trial t : history) {
      boolean dominated = false;
      for (Trial o : history) {
        if (o == t) {
          continue;
        }
        double od = o.top1Drop();
        double td = t.top1Drop();
        double oc = o.cost(objective, false);
        double tc = t.cost(objective, false);
        boolean noWorse = od <= td && oc <= tc;
        boolean better = od < td || oc < tc;
        if (noWorse && (better || o.index() < t.index())) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        front.add(t);
      }
    }
    return front;
  }
}
