package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;

/**
 * Pairs each layer of an optimized candidate graph with the FP32 reference tensor it should
 * reproduce.
 *
 * <p>A quantizer or FP16 converter adds precision nodes (QuantizeLinear, DequantizeLinear, Cast)
 * around the float graph's operators and keeps those operators. A candidate operator is matched,
 * in this order: to the reference node of the same name and operator; to the reference node of
 * the same operator that produces one of its output names, or the name its output gets after its
 * quantize/dequantize pair (quantizers keep the float names there); and last, among operators of
 * one type left unmatched on both sides in equal numbers, by their order in the graph. A
 * reference BatchNormalization, Relu or Clip with no counterpart that alone follows a matched
 * node is treated as fused into it, as quantizers and runtimes do, so the comparison is made
 * after it.
 */
final class LayerMatcher {

  /** Operators that only change the precision of a value. */
  static final Set<String> PRECISION_OPS =
      Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "Cast", "CastLike");

  /** Reference operators that a candidate may have fused into the node before them. */
  private static final Set<String> FUSABLE =
      Set.of("BatchNormalization", "Relu", "Clip", "LeakyRelu", "Identity", "Dropout");

  /**
   * One matched layer.
   *
   * @param candidate the candidate node
   * @param reference the reference node
   * @param referenceTensor the reference value to compare the candidate's first output with
   * @param matchedBy {@code node name}, {@code output name} or {@code op order}
   * @param reducedPrecision whether the layer reads quantized (or cast) inputs or weights, or its
   *     output is quantized
   * @param outputQuantize the QuantizeLinear on the node's output, or {@code null}
   * @param outputDequantize the DequantizeLinear after it, or {@code null}
   */
  record Match(
      Node candidate,
      Node reference,
      String referenceTensor,
      String matchedBy,
      boolean reducedPrecision,
      Node outputQuantize,
      Node outputDequantize) {

    /**
     * Returns the candidate value compared: what the layer's consumers see, after its output
     * quantize/dequantize pair when it has one. A quantizer that fuses a Relu or Clip into the layer
     * leaves the clipping to that pair's saturation, so only after it does the value match the
     * reference's.
     */
    String candidateTensor() {
      return outputDequantize != null ? outputDequantize.output() : candidate.output();
    }
  }

  private final Graph reference;
  private final Graph candidate;
  private final Map<String, Node> candidateProducers;
  private final List<Match> matches;
  private final Map<String, String> valueMap = new HashMap<>();

  LayerMatcher(Graph reference, Graph candidate) {
    this.reference = reference;
    this.candidate = candidate;
    this.candidateProducers = candidate.producers();
    this.matches = match();
    buildValueMap();
  }

  /** Returns the matched layers, in the candidate's topological order. */
  List<Match> matches() {
    return matches;
  }

  /** Returns the candidate graph. */
  Graph candidate() {
    return candidate;
  }

  /**
   * Returns the reference value that a candidate value stands for: a matched node's output, a
   * graph input, or a value of the same name.
   */
  Optional<String> referenceValue(String candidateValue) {
    return Optional.ofNullable(valueMap.get(candidateValue));
  }

  /** Returns the node producing a candidate value, if any. */
  Optional<Node> candidateProducer(String value) {
    return Optional.ofNullable(candidateProducers.get(value));
  }

  /** Returns whether {@code opType} only changes precision (or is a constant) for isolation purposes. */
  static boolean isPlumbing(String opType) {
    return PRECISION_OPS.contains(opType) || "Constant".equals(opType);
  }

  /**
   * Returns whether {@code n} of graph {@code g} is plumbing: a precision change, a constant, or
   * a constant Pad of the channel axis only, which a quantizer adds to align a convolution's input
   * channels for the target's kernels (zero weights read the extra channels: no error of its own).
   */
  static boolean isPlumbing(Node n, Graph g) {
    if (isPlumbing(n.opType())) {
      return true;
    }
    if (!n.opType().equals("Pad")
        || !n.stringAttr("mode", "constant").equals("constant")
        || n.inputs().size() < 2) {
      return false;
    }
    org.edgeopt.core.graph.Tensor pads = g.initializers().get(n.input(1));
    if (pads == null || pads.elementCount() < 4 || pads.elementCount() % 2 != 0) {
      return false;
    }
    long[] p = pads.toLongs();
    int rank = p.length / 2;
    for (int i = 0; i < p.length; i++) {
      if (p[i] != 0 && i != 1 && i != rank + 1) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLayer(Node n, Graph g) {
    return !isPlumbing(n, g) && !n.outputs().isEmpty() && !n.output().isEmpty();
  }

  private List<Match> match() {
    List<Node> refLayers = reference.nodes().stream().filter(n -> isLayer(n, reference)).toList();
    List<Node> candLayers = candidate.nodes().stream().filter(n -> isLayer(n, candidate)).toList();
    Map<String, Node> refByName = new HashMap<>();
    for (Node r : refLayers) {
      if (!r.name().isEmpty()) {
        refByName.put(r.name(), r);
      }
    }
    Map<String, Node> refProducers = reference.producers();
    Set<Node> usedRef = new HashSet<>();
    Map<Node, Match> found = new LinkedHashMap<>();

    for (Node c : candLayers) {
      Node r = refByName.get(c.name());
      if (r != null && r.opType().equals(c.opType()) && !c.name().isEmpty() && usedRef.add(r)) {
        found.put(c, new Match(c, r, null, "node name", false, null, null));
      }
    }
    for (Node c : candLayers) {
      if (found.containsKey(c)) {
        continue;
      }
      for (String name : outputNames(c)) {
        Node r = refProducers.get(name);
        if (r != null && r.opType().equals(c.opType()) && !usedRef.contains(r)) {
          usedRef.add(r);
          found.put(c, new Match(c, r, null, "output name", false, null, null));
          break;
        }
      }
    }
    // Op order: only where the unmatched operators of one type are equally many on both sides,
    // since otherwise a fused or removed node would shift every pairing after it.
    Map<String, List<Node>> candLeft = new LinkedHashMap<>();
    candLayers.stream()
        .filter(c -> !found.containsKey(c))
        .forEach(c -> candLeft.computeIfAbsent(c.opType(), k -> new ArrayList<>()).add(c));
    Map<String, List<Node>> refLeft = new HashMap<>();
    refLayers.stream()
        .filter(r -> !usedRef.contains(r))
        .forEach(r -> refLeft.computeIfAbsent(r.opType(), k -> new ArrayList<>()).add(r));
    for (Map.Entry<String, List<Node>> e : candLeft.entrySet()) {
      List<Node> refs = refLeft.getOrDefault(e.getKey(), List.of());
      if (refs.size() == e.getValue().size()) {
        for (int i = 0; i < refs.size(); i++) {
          usedRef.add(refs.get(i));
          found.put(
              e.getValue().get(i),
              new Match(e.getValue().get(i), refs.get(i), null, "op order", false, null, null));
        }
      }
    }

    Set<String> matchedRefNames = new HashSet<>();
    found.values().forEach(m -> matchedRefNames.add(m.reference().name()));
    Map<String, List<Node>> refConsumers = reference.consumers();
    Map<String, List<Node>> candConsumers = candidate.consumers();
    List<Match> out = new ArrayList<>();
    for (Node c : candLayers) {
      Match m = found.get(c);
      if (m == null) {
        continue;
      }
      String refTensor = fusedOutput(m.reference(), refConsumers, found.values(), matchedRefNames);
      Node q = null;
      Node dq = null;
      for (Node qn : candConsumers.getOrDefault(c.output(), List.of())) {
        if (qn.opType().equals("QuantizeLinear") && qn.input(0).equals(c.output())) {
          Optional<Node> d =
              candConsumers.getOrDefault(qn.output(), List.of()).stream()
                  .filter(x -> x.opType().equals("DequantizeLinear"))
                  .findFirst();
          if (d.isPresent()) {
            q = qn;
            dq = d.get();
            break;
          }
        }
      }
      out.add(
          new Match(
              c,
              m.reference(),
              refTensor,
              m.matchedBy(),
              q != null || readsReducedPrecision(c),
              q,
              dq));
    }
    return List.copyOf(out);
  }

  /** Returns the node's output names and the names they get after a quantize/dequantize pair. */
  private List<String> outputNames(Node c) {
    List<String> names = new ArrayList<>(c.outputs());
    Map<String, List<Node>> consumers = candidate.consumers();
    for (String o : c.outputs()) {
      for (Node q : consumers.getOrDefault(o, List.of())) {
        if (q.opType().equals("QuantizeLinear")) {
          for (Node dq : consumers.getOrDefault(q.output(), List.of())) {
            if (dq.opType().equals("DequantizeLinear")) {
              names.add(dq.output());
            }
          }
        }
      }
    }
    return names;
  }

  private String fusedOutput(
      Node r,
      Map<String, List<Node>> refConsumers,
      java.util.Collection<Match> all,
      Set<String> matchedRefNames) {
    String t = r.output();
    Set<Node> matchedRefNodes = new HashSet<>();
    all.forEach(m -> matchedRefNodes.add(m.reference()));
    while (true) {
      List<Node> next = refConsumers.getOrDefault(t, List.of());
      if (next.size() != 1 || reference.isOutput(t)) {
        return t;
      }
      Node s = next.get(0);
      if (!FUSABLE.contains(s.opType())
          || matchedRefNodes.contains(s)
          || matchedRefNames.contains(s.name())
          || !s.input(0).equals(t)) {
        return t;
      }
      t = s.output();
    }
  }

  /** Returns whether an input of {@code c} comes through a precision node (its weights or activations were reduced). */
  private boolean readsReducedPrecision(Node c) {
    for (String in : c.inputs()) {
      Node p = candidateProducers.get(in);
      if (p != null && PRECISION_OPS.contains(p.opType())) {
        return true;
      }
    }
    return false;
  }

  private void buildValueMap() {
    Set<String> refValues = new HashSet<>();
    reference.nodes().forEach(n -> refValues.addAll(n.outputs()));
    reference.inputs().forEach(v -> refValues.add(v.name()));
    for (String v : candidateProducers.keySet()) {
      if (refValues.contains(v)) {
        valueMap.put(v, v);
      }
    }
    for (int i = 0; i < Math.min(reference.inputs().size(), candidate.inputs().size()); i++) {
      valueMap.put(candidate.inputs().get(i).name(), reference.inputs().get(i).name());
    }
    for (Match m : matches) {
      valueMap.put(m.candidate().output(), m.referenceTensor());
      valueMap.put(m.candidateTensor(), m.referenceTensor());
      List<String> co = m.candidate().outputs();
      List<String> ro = m.reference().outputs();
      for (int k = 1; k < Math.min(co.size(), ro.size()); k++) {
        if (!co.get(k).isEmpty() && !ro.get(k).isEmpty()) {
          valueMap.put(co.get(k), ro.get(k));
        }
      }
    }
  }
}
