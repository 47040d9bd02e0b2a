package org.edgeopt.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.cost.ActivationMemory;
import org.edgeopt.core.cost.ActivationPeak;
import org.edgeopt.core.cost.LayerCosts;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.targets.OpSupport;
import org.edgeopt.core.targets.TargetProfile;

/**
 * Says how a target profile covers a graph: operator support, shape rules and a roofline
 * estimate, all read from the profile's data.
 */
final class TargetCoverageCheck {
  private static final int EXAMPLES = 3;

  /**
   * The most activation memory a model may need at once on any built-in target: 64 GiB, under
   * the 80 GB of the largest GPU the TensorRT profiles describe and far over any edge device.
   */
  static final long MAX_ACTIVATION_BYTES = 64L << 30;

  private TargetCoverageCheck() {}

  static ModelCard.TargetCoverage cover(Graph g, TargetProfile p) {
    Map<String, List<String>> nodesByOp = new LinkedHashMap<>();
    for (Node n : g.nodes()) {
      nodesByOp.computeIfAbsent(n.opType(), k -> new ArrayList<>()).add(n.name());
    }
    List<ModelCard.UnsupportedOp> unsupported = new ArrayList<>();
    List<ModelCard.ConstrainedOp> constrained = new ArrayList<>();
    nodesByOp.forEach(
        (op, nodes) -> {
          OpSupport s = p.support(op);
          if (!s.supported()) {
            unsupported.add(new ModelCard.UnsupportedOp(op, nodes, s.constraints()));
          } else if (!s.constraints().isEmpty()) {
            constrained.add(new ModelCard.ConstrainedOp(op, nodes.size(), s.constraints()));
          }
        });
    List<String> violations = shapeRules(g, p);
    ActivationPeak peak = ActivationMemory.peak(g);
    if (peak.bytes() > MAX_ACTIVATION_BYTES) {
      violations.add(
          "activations need "
              + (peak.bytes() == Long.MAX_VALUE ? "more than 2^63" : peak.bytes())
              + " bytes at once (at '"
              + peak.node()
              + "'): expected at most "
              + MAX_ACTIVATION_BYTES
              + " (64 GiB), more than the target has");
    }
    List<String> notes = new ArrayList<>();
    if (!p.supportsPrecision("fp32")) {
      notes.add(
          "runs "
              + String.join("/", p.precisions())
              + " only: quantize the model before compiling for it");
    }
    long int8Weights = g.parameterCount();
    if (p.onChipMemoryBytes() > 0 && int8Weights > p.onChipMemoryBytes()) {
      notes.add(
          "int8 weights ("
              + int8Weights
              + " bytes) exceed the "
              + p.onChipMemoryBytes()
              + " bytes of on-chip memory: the rest streams from host memory at every inference");
    }
    return new ModelCard.TargetCoverage(
        p.name(),
        p.precisions(),
        nodesByOp.size(),
        nodesByOp.size() - unsupported.size(),
        unsupported,
        constrained,
        violations,
        unsupported.isEmpty() && violations.isEmpty(),
        roofline(g, p),
        notes,
        p.assumedIsa(),
        int8Speedup(p, HostCpu.current()));
  }

  /**
   * Returns what INT8 buys on the target, and, for a CPU profile, what it buys on this host when
   * the host's integer kernels are not the ones the profile assumes.
   */
  static String int8Speedup(TargetProfile p, HostCpu host) {
    if (!p.supportsPrecision("int8")) {
      return "no int8 on this target";
    }
    String s = p.int8Speedup();
    String mismatch = p.cpuMismatch(host);
    if (!mismatch.isEmpty()) {
      s += ". This host: " + mismatch + " (" + host.int8Kernel().description() + ")";
    } else if (p.cpuArch().isEmpty()
        && p.target().equals("onnxruntime")
        && host.int8Kernel().saturatesPairs()) {
      s += ". This host runs " + host.int8Kernel().description() + ": expect the AVX2 figure here";
    }
    return s;
  }

  private static List<String> shapeRules(Graph g, TargetProfile p) {
    List<String> v = new ArrayList<>();
    for (Value in : g.inputs()) {
      Shape s = in.hasType() ? in.type().shape() : null;
      if (p.staticShapes() && (s == null || !s.isStatic())) {
        v.add(
            "input '"
                + in.name()
                + "' has shape "
                + (s == null ? "unknown" : s)
                + ": the target needs static shapes (fix every dimension, the batch to "
                + Math.max(1, p.maxBatch())
                + ")");
        continue;
      }
      if (p.maxBatch() > 0 && s != null && s.rank() > 0) {
        long batch = s.size(0);
        if (batch < 0) {
          v.add(
              "input '"
                  + in.name()
                  + "' has a symbolic batch: the target takes at most "
                  + p.maxBatch());
        } else if (batch > p.maxBatch()) {
          v.add(
              "input '"
                  + in.name()
                  + "' has batch "
                  + batch
                  + ": the target takes at most "
                  + p.maxBatch());
        }
      }
    }
    if (p.maxActiveDims() > 0) {
      List<String> wide = new ArrayList<>();
      for (String name : activationNames(g)) {
        long[] d = LayerCosts.sizes(g, name);
        if (d != null && activeDims(d) > p.maxActiveDims()) {
          wide.add("'" + name + "' " + java.util.Arrays.toString(d));
        }
      }
      if (!wide.isEmpty()) {
        v.add(
            wide.size()
                + " tensor"
                + (wide.size() == 1 ? " has" : "s have")
                + " more than "
                + p.maxActiveDims()
                + " dimensions larger than 1 (e.g. "
                + String.join(", ", wide.subList(0, Math.min(EXAMPLES, wide.size())))
                + ")");
      }
    }
    return v;
  }

  private static List<String> activationNames(Graph g) {
    List<String> names = new ArrayList<>();
    g.inputs().forEach(v -> names.add(v.name()));
    for (Node n : g.nodes()) {
      n.outputs().stream().filter(o -> !o.isEmpty()).forEach(names::add);
    }
    return names;
  }

  private static int activeDims(long[] d) {
    int n = 0;
    for (long x : d) {
      if (x > 1) {
        n++;
      }
    }
    return n;
  }

  /** Returns the roofline time of one batch-1 inference per precision that has a peak figure. */
  private static Map<String, Double> roofline(Graph g, TargetProfile p) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String precision : p.precisions()) {
      if (!p.peakOpsPerSecond().containsKey(precision)) {
        continue;
      }
      int elementBytes =
          switch (precision.toLowerCase(Locale.ROOT)) {
            case "int8" -> 1;
            case "fp16" -> 2;
            default -> 4;
          };
      double seconds = 0;
      for (Node n : g.nodes()) {
        seconds +=
            p.rooflineSeconds(
                LayerCosts.macs(g, n), LayerCosts.elementsMoved(g, n) * elementBytes, precision);
      }
      out.put(precision, seconds);
    }
    return out;
  }
}
