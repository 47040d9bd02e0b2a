package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Chooses how many channels each group keeps by measured sensitivity: filters are ranked by
 * L1 norm (times the following BatchNormalization's scale, which is part of the filter's
 * effective weight), each group is pruned alone to a ladder of levels and measured, then groups
 * are shrunk step by step, the best MACs saved per point lost first, each step kept only if the
 * combined model stays within the budget.
 */
final class ChannelSearch {
  /** The fractions of channels to try keeping, largest first. */
  static final double[] LEVELS = {0.875, 0.75, 0.625, 0.5, 0.375, 0.25};

  /** Smallest drop charged per step when ordering steps, in points, so free steps still rank by MACs. */
  private static final double MIN_STEP_DROP = 0.05;

  private ChannelSearch() {}

  /** One measured level of one group. */
  record Level(int keep, double drop, long macsSaved) {}

  /**
   * How removed channels are made up for: a least-squares refit of the next layer where {@code
   * regressions} has one, else the removed channels' calibration means folded into its bias.
   */
  record Compensation(
      Map<String, float[]> means, Map<String, LinearReconstruction.Regression> regressions) {
    /** Returns the method's name in the report. */
    String method() {
      return !regressions.isEmpty()
          ? "least-squares"
          : !means.isEmpty() ? "mean-compensation" : "none";
    }

    /** Returns the model with each group keeping the given channels, compensated. */
    Graph prune(ChannelGroups a, Map<Integer, int[]> keep) {
      return ChannelPruner.prune(a, keep, means, regressions);
    }
  }

  /** What the search measures candidates against: the evaluator, the unpruned model's score and the budget. */
  private record Baseline(HoldoutEvaluator search, int correct, double budget) {
    /** Returns the drop of {@code candidate} from the unpruned model, in points. */
    double drop(Graph candidate) throws EdgeoptException {
      return TwoFourSearch.points(correct - search.correct(candidate), search.samples());
    }
  }

  /**
   * The search's memory: each group's measured ladder of levels and channel ranking, and the
   * accepted states in order (state 0 prunes nothing; a state maps a group to its level index)
   * and why each stopped group stopped. The search appends to {@code states} and {@code stopped};
   * once it returns they are only read.
   */
  record Trail(
      List<ChannelGroup> groups,
      Map<Integer, List<Level>> table,
      Map<Integer, int[]> order,
      List<Map<Integer, Integer>> states,
      Map<Integer, String> stopped) {
    /** Returns, for a state, the channels each group keeps. */
    Map<Integer, int[]> keepMap(Map<Integer, Integer> state) {
      Map<Integer, int[]> out = new HashMap<>();
      state.forEach((id, lv) -> out.put(id, top(order.get(id), table.get(id).get(lv).keep())));
      return out;
    }

    /** Returns the prunable group with this id. */
    ChannelGroup group(int id) {
      return groups.stream().filter(g -> g.id() == id).findFirst().orElseThrow();
    }
  }

  /**
   * Searches how many channels each prunable group of {@code a} keeps within {@code budget}
   * points, measured by {@code search}; {@code layerMacs} are the unpruned model's MACs per layer.
   */
  static PrunePlan run(
      Graph model,
      ChannelGroups a,
      HoldoutEvaluator search,
      double budget,
      Compensation compensation,
      Map<String, Long> layerMacs,
      Consumer<String> log)
      throws EdgeoptException {
    List<ChannelGroup> groups = a.prunable();
    Map<Integer, int[]> order = new HashMap<>();
    for (ChannelGroup g : groups) {
      order.put(g.id(), ranking(a.graph, a, g));
    }
    Baseline baseline = new Baseline(search, search.correct(model), budget);
    Map<Integer, List<Level>> table =
        measureLevels(a, groups, order, baseline, compensation, layerMacs, log);
    Trail trail =
        new Trail(groups, table, order, new ArrayList<>(List.of(Map.of())), new HashMap<>());
    shrinkGreedily(a, trail, baseline, compensation, log);
    return new ChannelPlan(a, trail, compensation, layerMacs);
  }

  /** Prunes each group alone to each level of {@link #LEVELS} and measures the drop and the MACs saved. */
  private static Map<Integer, List<Level>> measureLevels(
      ChannelGroups a,
      List<ChannelGroup> groups,
      Map<Integer, int[]> order,
      Baseline baseline,
      Compensation compensation,
      Map<String, Long> layerMacs,
      Consumer<String> log)
      throws EdgeoptException {
    ModelCost baseCost = new ModelCost(0, 0, 0, layerMacs);
    long baseMacs = layerMacs.values().stream().mapToLong(Long::longValue).sum();
    Map<Integer, List<Level>> table = new LinkedHashMap<>();
    for (ChannelGroup g : groups) {
      List<Level> levels = new ArrayList<>();
      int last = g.channels();
      for (double f : LEVELS) {
        int k = keepCount(g.channels(), f);
        if (k >= last) {
          continue;
        }
        last = k;
        Graph cand = compensation.prune(a, Map.of(g.id(), top(order.get(g.id()), k)));
        double drop = baseline.drop(cand);
        long saved = baseMacs - baseCost.macsOfChannelPruned(a.graph, cand);
        levels.add(new Level(k, drop, saved));
        log.accept(
            String.format(
                Locale.ROOT,
                "channels %s keep %d: drop %.2f points, %,d MACs saved",
                g.describe(),
                k,
                drop,
                saved));
        // deeper levels only cost more; a group beyond the budget alone will not fit in a
        // combination
        if (drop > baseline.budget() + 0.5) {
          break;
        }
      }
      table.put(g.id(), levels);
    }
    return table;
  }

  /**
   * Shrinks groups one level at a time, the step with the most MACs saved per point lost first,
   * keeping a step only when the combined model stays within the budget; a group whose step
   * does not fit is done. Appends each accepted state to the trail.
   */
  private static void shrinkGreedily(
      ChannelGroups a,
      Trail trail,
      Baseline baseline,
      Compensation compensation,
      Consumer<String> log)
      throws EdgeoptException {
    Map<Integer, Integer> at = new HashMap<>();
    Set<Integer> done = new HashSet<>();
    while (true) {
      int g = bestNextStep(trail, at, done);
      if (g < 0) {
        return;
      }
      Map<Integer, Integer> trial = new HashMap<>(at);
      trial.put(g, at.getOrDefault(g, -1) + 1);
      double drop = baseline.drop(compensation.prune(a, trail.keepMap(trial)));
      String name = trail.group(g).describe();
      int keep = trail.table().get(g).get(trial.get(g)).keep();
      if (drop <= baseline.budget()) {
        at = trial;
        trail.states().add(Map.copyOf(at));
        log.accept(
            String.format(
                Locale.ROOT, "step %s keep %d: drop %.2f points, kept", name, keep, drop));
      } else {
        done.add(g);
        trail
            .stopped()
            .put(
                g,
                String.format(
                    Locale.ROOT,
                    "keeping %d would take the drop to %.2f points (budget %.2f)",
                    keep,
                    drop,
                    baseline.budget()));
        log.accept(
            String.format(
                Locale.ROOT, "step %s keep %d: drop %.2f points, over budget", name, keep, drop));
      }
    }
  }

  /** Returns the group whose next level saves the most MACs per point lost, or -1 when none is left. */
  private static int bestNextStep(Trail trail, Map<Integer, Integer> at, Set<Integer> done) {
    int bestGroup = -1;
    double bestScore = -1;
    for (ChannelGroup g : trail.groups()) {
      List<Level> levels = trail.table().get(g.id());
      int cur = at.getOrDefault(g.id(), -1);
      if (done.contains(g.id()) || cur + 1 >= levels.size()) {
        continue;
      }
      Level next = levels.get(cur + 1);
      double curDrop = cur < 0 ? 0 : levels.get(cur).drop();
      long curSaved = cur < 0 ? 0 : levels.get(cur).macsSaved();
      double score = (next.macsSaved() - curSaved) / Math.max(next.drop() - curDrop, MIN_STEP_DROP);
      if (score > bestScore) {
        bestScore = score;
        bestGroup = g.id();
      }
    }
    return bestGroup;
  }

  /** Returns how many channels to keep of {@code n} at fraction {@code f}: a multiple of 4 when {@code n} is. */
  static int keepCount(int n, double f) {
    if (n % 4 == 0) {
      return Math.max(4, (int) Math.round(n * f / 4) * 4);
    }
    return Math.max(1, (int) Math.round(n * f));
  }

  /** Returns the {@code k} first channels of a ranking, in ascending channel order. */
  static int[] top(int[] ranking, int k) {
    int[] t = Arrays.copyOf(ranking, k);
    Arrays.sort(t);
    return t;
  }

  /**
   * Returns the channels of a group from most to least important: each source's per-channel
   * L1 filter norm, times the |scale|/sqrt(var+eps) of a BatchNormalization right after it,
   * divided by that source's mean so tied layers weigh equally, summed over the sources.
   */
  static int[] ranking(Graph g, ChannelGroups a, ChannelGroup group) {
    double[] score = new double[group.channels()];
    Map<String, List<Node>> consumers = g.consumers();
    for (String s : group.sources()) {
      Node n = g.node(s).orElseThrow();
      Tensor w = g.initializers().get(n.input(1));
      long[] d = w.dims();
      float[] v = w.toFloats();
      int axis =
          n.opType().equals("Conv")
              ? 0
              : n.opType().equals("Gemm") && n.intAttr("transB", 0) == 1 ? 0 : 1;
      double[] l1 = new double[(int) d[axis]];
      int inner = 1;
      for (int i = axis + 1; i < d.length; i++) {
        inner *= (int) d[i];
      }
      for (int i = 0; i < v.length; i++) {
        l1[(i / inner) % l1.length] += Math.abs(v[i]);
      }
      List<Node> next = consumers.getOrDefault(n.output(), List.of());
      if (next.size() == 1 && next.get(0).opType().equals("BatchNormalization")) {
        Node bn = next.get(0);
        float[] gamma = g.initializers().get(bn.input(1)).toFloats();
        float[] var = g.initializers().get(bn.input(4)).toFloats();
        float eps = bn.floatAttr("epsilon", 1e-5f);
        for (int c = 0; c < l1.length; c++) {
          l1[c] *= Math.abs(gamma[c]) / Math.sqrt(var[c] + eps);
        }
      }
      double mean = Arrays.stream(l1).average().orElse(1);
      for (int c = 0; c < l1.length && c < score.length; c++) {
        score[c] += mean > 0 ? l1[c] / mean : 0;
      }
    }
    Integer[] idx = new Integer[score.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(
        idx,
        (x, y) ->
            score[y] != score[x] ? Double.compare(score[y], score[x]) : Integer.compare(x, y));
    return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
  }
}
