package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Graph;

/**
 * The outcome of {@link ChannelSearch}: the accepted channel-pruning steps in order, rebuilt with
 * any number of them, and the decision on every channel group.
 */
record ChannelPlan(
    ChannelGroups analysis,
    ChannelSearch.Trail trail,
    ChannelSearch.Compensation compensation,
    Map<String, Long> layerMacs)
    implements PrunePlan {

  @Override
  public int steps() {
    return trail.states().size() - 1;
  }

  @Override
  public Graph build(int k) {
    return compensation.prune(analysis, keep(k));
  }

  @Override
  public String method() {
    return compensation.method();
  }

  @Override
  public Map<String, Graph> alternatives(int k) {
    Map<String, Graph> m = new LinkedHashMap<>();
    if (!compensation.means().isEmpty()) {
      m.put("plain-removal", ChannelPruner.prune(analysis, keep(k), Map.of()));
    }
    if (!compensation.regressions().isEmpty()) {
      m.put("mean-compensation", ChannelPruner.prune(analysis, keep(k), compensation.means()));
    }
    return m;
  }

  @Override
  public List<String> changedLayers(int k) {
    // the readers of pruned channels are the layers whose outputs change; a source's kept
    // channels compute what they did before unless it also reads a pruned group
    List<String> out = new ArrayList<>();
    for (Integer id : trail.states().get(k).keySet()) {
      out.addAll(trail.group(id).sinks());
    }
    return out.stream().distinct().toList();
  }

  @Override
  public Map<String, int[]> keptChannels(int k) {
    Map<String, int[]> out = new HashMap<>();
    keep(k).forEach((id, keep) -> trail.group(id).sources().forEach(s -> out.put(s, keep)));
    return out;
  }

  @Override
  public List<LayerDecision> decisions(int k) {
    Map<Integer, Integer> state = trail.states().get(k);
    List<LayerDecision> out = new ArrayList<>();
    for (ChannelGroup g : analysis.groups()) {
      out.add(decision(g, state.get(g.id())));
    }
    return out;
  }

  /** Returns the decision on one group, pruned to level {@code lv} of its ladder or (null) not pruned. */
  private LayerDecision decision(ChannelGroup g, Integer lv) {
    List<ChannelSearch.Level> levels = trail.table().getOrDefault(g.id(), List.of());
    long macs = 0;
    for (String s : g.sources()) {
      macs += layerMacs.getOrDefault(s, 0L);
    }
    if (!g.prunable()) {
      return new LayerDecision(
          g.describe(), macs, false, g.reason(), null, false, "not prunable: " + g.reason());
    }
    if (lv != null) {
      ChannelSearch.Level l = levels.get(lv);
      return new LayerDecision(
          g.describe(),
          macs,
          true,
          "L1-ranked filters",
          l.drop(),
          true,
          "kept " + l.keep() + " of " + g.channels() + " channels");
    }
    return new LayerDecision(
        g.describe(),
        macs,
        true,
        "L1-ranked filters",
        levels.isEmpty() ? null : levels.get(0).drop(),
        false,
        trail
            .stopped()
            .getOrDefault(g.id(), levels.isEmpty() ? "too few channels to prune" : "not pruned"));
  }

  private Map<Integer, int[]> keep(int k) {
    return trail.keepMap(trail.states().get(k));
  }
}
