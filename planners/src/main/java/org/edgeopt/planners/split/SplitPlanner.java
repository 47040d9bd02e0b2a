package org.edgeopt.planners.split;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.planners.HostLatency;

/**
 * Plans an edge/server split: enumerates the cuts, costs each for the two profiles and the link,
 * runs the parts on the holdout, and picks the best verified cut per link.
 */
public final class SplitPlanner {
  private SplitPlanner() {}

  /** Plans the split of {@code model} (FP32, single input); {@code sha256} goes into the plan's provenance. */
  public static SplitPlan plan(Graph model, String sha256, SplitRequest r) throws EdgeoptException {
    Graph g = withShapes(model);
    CutEnumeration enumeration = CutEnumerator.enumerate(g);
    List<Cut> cuts = enumeration.cuts();
    Map<String, QuantParams> ranges;
    String rangeSource;
    if (r.calibration() != null) {
      ranges = CutRanges.fromTable(r.calibration(), cuts);
      rangeSource =
          "calibration table ("
              + r.calibration().method()
              + ", "
              + r.calibration().samples()
              + " samples)";
    } else if (r.calibrationData() != null) {
      ranges = CutRanges.observe(g, cuts, r.calibrationData(), Integer.MAX_VALUE, r.batchSize());
      rangeSource = "min/max observed on " + r.calibrationData().describe();
    } else {
      ranges = Map.of();
      rangeSource = "none (no calibration given: no int8 figures)";
    }
    boolean edgeHere = r.hostRuns() > 0 && HostLatency.describesThisHost(r.edge());
    boolean serverHere = r.hostRuns() > 0 && HostLatency.describesThisHost(r.server());
    SplitEvaluator.Result run =
        SplitEvaluator.evaluate(
            g,
            cuts,
            r.holdout(),
            r.limit(),
            ranges,
            r.compressSamples(),
            r.batchSize(),
            edgeHere || serverHere ? r.hostRuns() : 0);
    RooflineEstimate edge = RooflineEstimate.of(r.edge());
    RooflineEstimate server = RooflineEstimate.of(r.server());
    String measured =
        "measured on this host: ONNX Runtime, 1 thread, median of "
            + r.hostRuns()
            + " batch-1 runs";
    List<CutCost> costs = new ArrayList<>();
    for (int i = 0; i < cuts.size(); i++) {
      Cut c = cuts.get(i);
      long elements = 0;
      for (String t : c.tensors()) {
        elements += org.edgeopt.core.cost.LayerCosts.elements(g, t);
      }
      Map<String, Double> bytes = new LinkedHashMap<>();
      for (WireFormat w : WireFormat.values()) {
        if (w != WireFormat.INT8 || ranges.keySet().containsAll(c.tensors())) {
          long b = 0;
          for (String t : c.tensors()) {
            b += w.bytes(org.edgeopt.core.cost.LayerCosts.elements(g, t));
          }
          bytes.put(new Encoding(w, false).id(), (double) b);
        }
      }
      bytes.putAll(run.zstdBytes().get(i));
      long weights =
          c.cloudOnly() ? 0 : GraphSplitter.edgePart(g, c, WireFormat.FP32, Map.of()).weightBytes();
      double edgeSeconds =
          edgeHere
              ? zeroIfAbsent(run.edgeHostSeconds()[i])
              : edge.seconds(g, CutEnumerator.edgeNodes(g, c));
      double serverSeconds =
          serverHere
              ? zeroIfAbsent(run.serverHostSeconds()[i])
              : server.seconds(g, CutEnumerator.serverNodes(g, c));
      costs.add(new CutCost(c, elements, edgeSeconds, serverSeconds, weights, bytes));
    }
    CutCheck whole = run.checks().get(cuts.size() - 1);
    double fp32Top1 = whole.int8Correct() / (double) whole.samples();
    List<Boolean> admissible = new ArrayList<>();
    List<CutCost> usable = new ArrayList<>();
    List<Integer> usableIndex = new ArrayList<>();
    for (int i = 0; i < cuts.size(); i++) {
      CutCheck ch = run.checks().get(i);
      boolean ok =
          ch.fp32MaxAbsDiff() <= SplitRequest.FP32_TOLERANCE
              && !Double.isNaN(costs.get(i).bytes(r.encoding()));
      if (ok && r.encoding().format() == WireFormat.INT8 && !cuts.get(i).edgeOnly()) {
        double drop = (fp32Top1 - ch.int8Correct() / (double) ch.samples()) * 100;
        ok =
            !Double.isNaN(ch.int8Agreement())
                && (Double.isNaN(r.maxTop1DropPoints()) || drop <= r.maxTop1DropPoints());
      }
      admissible.add(ok);
      if (ok) {
        usable.add(costs.get(i));
        usableIndex.add(i);
      }
    }
    if (usable.isEmpty()) {
      throw new EdgeoptException(
          org.edgeopt.core.ExitCode.GATE_FAILED,
          "graph '"
              + g.name()
              + "': expected at least one cut that reproduces the model with "
              + r.encoding().id()
              + " on the wire, found none");
    }
    LinkSweep sweep = LinkSweep.of(usable, r.encoding(), r.link().rttSeconds());
    int chosen = usableIndex.get(sweep.best(r.link().uplinkBitsPerSecond()));
    Map<Double, Map<String, Integer>> perLink = new LinkedHashMap<>();
    List<Double> links = new ArrayList<>();
    for (double l : SplitRequest.STANDARD_LINKS) {
      links.add(l);
    }
    if (!links.contains(r.link().uplinkBitsPerSecond())) {
      links.add(r.link().uplinkBitsPerSecond());
    }
    for (double bw : links) {
      Map<String, Integer> best = new LinkedHashMap<>();
      for (String id : encodingIds(costs)) {
        Encoding e = encoding(id);
        List<CutCost> okForE = new ArrayList<>();
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < costs.size(); i++) {
          // The requested encoding competes among its admissible cuts; the others among verified
          // cuts.
          boolean ok =
              id.equals(r.encoding().id())
                  ? admissible.get(i)
                  : run.checks().get(i).fp32MaxAbsDiff() <= SplitRequest.FP32_TOLERANCE
                      && !Double.isNaN(costs.get(i).bytes(e));
          if (ok) {
            okForE.add(costs.get(i));
            idx.add(i);
          }
        }
        if (!okForE.isEmpty()) {
          best.put(id, idx.get(LinkSweep.of(okForE, e, r.link().rttSeconds()).best(bw)));
        }
      }
      perLink.put(bw, best);
    }
    // Reported in whole-model cut indices, as every other figure of the plan.
    LinkSweep inModelIndices = sweep.remapped(usableIndex);
    return new SplitPlan(
        g.name(),
        sha256 == null ? "" : sha256,
        r,
        enumeration,
        costs,
        run.checks(),
        fp32Top1,
        rangeSource,
        ranges,
        edgeHere ? measured : edge.describe(),
        serverHere ? measured : server.describe(),
        inModelIndices,
        admissible,
        chosen,
        perLink);
  }

  private static double zeroIfAbsent(double seconds) {
    return Double.isNaN(seconds) ? 0 : seconds;
  }

  /** Returns every encoding id some cut has a size for, in a stable order. */
  static List<String> encodingIds(List<CutCost> costs) {
    List<String> ids = new ArrayList<>();
    for (boolean z : new boolean[] {false, true}) {
      for (WireFormat w : WireFormat.values()) {
        String id = new Encoding(w, z).id();
        if (costs.stream().anyMatch(c -> c.bytes().containsKey(id))) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  /** Parses an encoding id such as {@code int8+zstd}. */
  static Encoding encoding(String id) {
    boolean z = id.endsWith("+zstd");
    String f = z ? id.substring(0, id.length() - 5) : id;
    return new Encoding(WireFormat.valueOf(f.toUpperCase(java.util.Locale.ROOT)), z);
  }

  static Graph withShapes(Graph g) throws EdgeoptException {
    for (Value v : g.outputs()) {
      if (!v.hasType()) {
        return OnnxChecker.inferShapes(g, "graph '" + g.name() + "'");
      }
    }
    boolean allKnown =
        g.nodes().stream()
            .flatMap(n -> n.outputs().stream())
            .allMatch(o -> o.isEmpty() || g.type(o).isPresent());
    return allKnown ? g : OnnxChecker.inferShapes(g, "graph '" + g.name() + "'");
  }
}
