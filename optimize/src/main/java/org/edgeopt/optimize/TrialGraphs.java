package org.edgeopt.optimize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.prune.ActivationStatistics;
import org.edgeopt.prune.ChannelGroup;
import org.edgeopt.prune.ChannelGroups;
import org.edgeopt.prune.ChannelPruner;
import org.edgeopt.prune.LayerEligibility;
import org.edgeopt.prune.SemiStructuredPruner;

/**
 * The FP32 graph each trial calibrates and quantizes: the input model, or the input model pruned
 * by the prune module (dense channels first, the least important by its own ranking, removed
 * channels replaced by their calibration means; then 2:4 on every eligible layer). Each distinct
 * pruning is made once, with its own calibration statistics: a pruned model's activations differ,
 * so it is re-calibrated, but every method and trial on it shares that one collection.
 */
final class TrialGraphs {
  /** Samples per batch when measuring the channel means that replace removed channels. */
  private static final int MEANS_BATCH = 100;

  /**
   * One trial graph.
   *
   * @param graph the FP32 graph
   * @param sparseLayers the layers pruned to 2:4
   * @param statistics its calibration statistics
   */
  record TrialGraph(Graph graph, Set<String> sparseLayers, CalibrationStatistics statistics) {
    TrialGraph {
      sparseLayers = Set.copyOf(sparseLayers);
    }
  }

  private final Graph input;
  private final Dataset calibrationData;
  private final CalibrationConfig calibration;
  private final String where;
  private final Map<String, TrialGraph> made = new HashMap<>();

  TrialGraphs(
      Graph input,
      CalibrationStatistics inputStatistics,
      Dataset calibrationData,
      CalibrationConfig calibration,
      String where) {
    this.input = input;
    this.calibrationData = calibrationData;
    this.calibration = calibration;
    this.where = where;
    made.put("", new TrialGraph(input, Set.of(), inputStatistics));
  }

  /** Returns the FP32 graph of a configuration, made and calibrated on first use. */
  TrialGraph of(TrialConfig config) throws EdgeoptException {
    TrialGraph g = made.get(config.graphKey());
    if (g == null) {
      g = make(config);
      made.put(config.graphKey(), g);
    }
    return g;
  }

  private TrialGraph make(TrialConfig config) throws EdgeoptException {
    Graph g = input;
    if (config.pruneChannels() > 0) {
      ChannelGroups groups = ChannelGroups.analyse(g, where);
      g =
          ChannelPruner.prune(
              groups, ChannelPruner.keepShare(groups, config.pruneChannels()), means(g, groups));
    }
    Set<String> sparse = new LinkedHashSet<>();
    if (config.twoFour()) {
      for (LayerEligibility e : SemiStructuredPruner.eligibility(g)) {
        if (e.eligible()) {
          sparse.add(e.layer());
        }
      }
      g = SemiStructuredPruner.prune(g, sparse);
    }
    // Surgery leaves no value types; the cost model reads MACs from inferred shapes.
    g = OnnxChecker.inferShapes(g.toBuilder().clearValueInfo().build(), where);
    OnnxChecker.check(g, where + " (" + config.graphKey().strip() + ")");
    CalibrationStatistics statistics =
        Calibration.collect(g, calibrationData, calibration, CalibrationProgress.NONE);
    return new TrialGraph(g, sparse, statistics);
  }

  /** Returns the calibration means of every tensor a prunable group's channels are read from. */
  private Map<String, float[]> means(Graph g, ChannelGroups groups) throws EdgeoptException {
    List<String> read = new ArrayList<>();
    for (ChannelGroup group : groups.prunable()) {
      for (String sink : group.sinks()) {
        g.node(sink).ifPresent(n -> read.add(n.input(0)));
      }
    }
    Map<String, float[]> means = new LinkedHashMap<>();
    ActivationStatistics.of(g, read, calibrationData, MEANS_BATCH, calibration.samples(), where)
        .forEach((t, s) -> means.put(t, s.mean()));
    return means;
  }
}
