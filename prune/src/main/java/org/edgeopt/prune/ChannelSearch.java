package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  private record Level(int keep, double drop, long macsSaved) {}

  static PrunePlan run(Graph model, ChannelGroups a, HoldoutEvaluator search, double budget, Map<String, float[]> means,
      Map<String, LinearReconstruction.Regression> regressions, Map<String, Long> layerMacs, Consumer<String> log,
      String where) throws EdgeoptException {
    List<ChannelGroup> groups = a.prunable();
    Map<Integer, int[]> order = new HashMap<>();
    for (ChannelGroup g : groups) {
      order.put(g.id(), ranking(a.graph, a, g));
    }
    int n = search.samples();
    int base = search.correct(model);
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
        Graph cand = ChannelPruner.prune(a, Map.of(g.id(), top(order.get(g.id()), k)), means, regressions);
        double drop = TwoFourSearch.points(base - search.correct(cand), n);
        long saved = baseMacs - baseCost.macsOfChannelPruned(a.graph, cand);
        levels.add(new Level(k, drop, saved));
        log.accept(String.format(Locale.ROOT, "channels %s keep %d: drop %.2f points, %,d MACs saved", g.describe(), k, drop, saved));
        // deeper levels only cost more; a group beyond the budget alone will not fit in a combination
        if (drop > budget + 0.5) {
          break;
        }
      }
      table.put(g.id(), levels);
    }

    Map<Integer, Integer> at = new HashMap<>();
    java.util.Set<Integer> done = new java.util.HashSet<>();
    List<Map<Integer, Integer>> states = new ArrayList<>();
    states.add(Map.of());
    Map<Integer, String> stopped = new HashMap<>();
    while (true) {
      int bestGroup = -1;
      double bestScore = -1;
      for (ChannelGroup g : groups) {
        List<Level> levels = table.get(g.id());
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
      if (bestGroup < 0) {
        break;
      }
      Map<Integer, Integer> trial = new HashMap<>(at);
      trial.put(bestGroup, at.getOrDefault(bestGroup, -1) + 1);
      Graph cand = ChannelPruner.prune(a, keepMap(trial, table, order), means, regressions);
      double drop = TwoFourSearch.points(base - search.correct(cand), n);
      int g = bestGroup;
      String name = groups.stream().filter(x -> x.id() == g).findFirst().orElseThrow().describe();
      if (drop <= budget) {
        at = trial;
        states.add(Map.copyOf(at));
        log.accept(String.format(Locale.ROOT, "step %s keep %d: drop %.2f points, kept", name,
            table.get(g).get(at.get(g)).keep(), drop));
      } else {
        done.add(g);
        stopped.put(g, String.format(Locale.ROOT, "keeping %d would take the drop to %.2f points (budget %.2f)",
            table.get(g).get(trial.get(g)).keep(), drop, budget));
        log.accept(String.format(Locale.ROOT, "step %s keep %d: drop %.2f points, over budget", name,
            table.get(g).get(trial.get(g)).keep(), drop));
      }
    }

    return new PrunePlan() {
      @Override
      public int steps() {
        return states.size() - 1;
      }

      @Override
      public Graph build(int k) {
        return ChannelPruner.prune(a, keepMap(states.get(k), table, order), means, regressions);
      }

      @Override
      public String method() {
        return !regressions.isEmpty() ? "least-squares" : !means.isEmpty() ? "mean-compensation" : "none";
      }

      @Override
      public Map<String, Graph> alternatives(int k) {
        Map<String, Graph> m = new LinkedHashMap<>();
        if (!means.isEmpty()) {
          m.put("plain-removal", ChannelPruner.prune(a, keepMap(states.get(k), table, order), Map.of()));
        }
        if (!regressions.isEmpty()) {
          m.put("mean-compensation", ChannelPruner.prune(a, keepMap(states.get(k), table, order), means));
        }
        return m;
      }

      @Override
      public List<String> changedLayers(int k) {
        // the readers of pruned channels are the layers whose outputs change; a source's kept
        // channels compute what they did before unless it also reads a pruned group
        List<String> out = new ArrayList<>();
        for (Integer id : states.get(k).keySet()) {
          groups.stream().filter(g -> g.id() == id).findFirst().ifPresent(g -> out.addAll(g.sinks()));
        }
        return out.stream().distinct().toList();
      }

      @Override
      public Map<String, int[]> keptChannels(int k) {
        Map<String, int[]> out = new HashMap<>();
        keepMap(states.get(k), table, order).forEach((id, keep) ->
            groups.stream().filter(g -> g.id() == id).findFirst().ifPresent(g -> g.sources().forEach(s -> out.put(s, keep))));
        return out;
      }

      @Override
      public List<LayerDecision> decisions(int k) {
        Map<Integer, Integer> state = states.get(k);
        List<LayerDecision> out = new ArrayList<>();
        for (ChannelGroup g : a.groups()) {
          List<Level> levels = table.getOrDefault(g.id(), List.of());
          Integer lv = state.get(g.id());
          long m = 0;
          for (String s : g.sources()) {
            m += layerMacs.getOrDefault(s, 0L);
          }
          if (!g.prunable()) {
            out.add(new LayerDecision(g.describe(), m, false, g.reason(), null, false, "not prunable: " + g.reason()));
          } else if (lv != null) {
            Level l = levels.get(lv);
            out.add(new LayerDecision(g.describe(), m, true, "L1-ranked filters", l.drop(), true,
                "kept " + l.keep() + " of " + g.channels() + " channels"));
          } else {
            out.add(new LayerDecision(g.describe(), m, true, "L1-ranked filters", levels.isEmpty() ? null : levels.get(0).drop(),
                false, stopped.getOrDefault(g.id(), levels.isEmpty() ? "too few channels to prune" : "not pruned")));
          }
        }
        return out;
      }
    };
  }

  /** Returns how many channels to keep of {@code n} at fraction {@code f}: a multiple of 4 when {@code n} is. */
  static int keepCount(int n, double f) {
    if (n % 4 == 0) {
      return Math.max(4, (int) Math.round(n * f / 4) * 4);
    }
    return Math.max(1, (int) Math.round(n * f));
  }

  private static Map<Integer, int[]> keepMap(Map<Integer, Integer> state, Map<Integer, List<Level>> table,
      Map<Integer, int[]> order) {
    Map<Integer, int[]> out = new HashMap<>();
    state.forEach((id, lv) -> out.put(id, top(order.get(id), table.get(id).get(lv).keep())));
    return out;
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
      int axis = n.opType().equals("Conv") ? 0 : n.opType().equals("Gemm") && n.intAttr("transB", 0) == 1 ? 0 : 1;
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
    Arrays.sort(idx, (x, y) -> score[y] != score[x] ? Double.compare(score[y], score[x]) : Integer.compare(x, y));
    return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
  }
}
