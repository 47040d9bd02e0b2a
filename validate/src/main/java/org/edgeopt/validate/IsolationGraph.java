package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;

/**
 * One graph holding, for every reduced-precision layer of the candidate, a copy of that layer
 * with its weights' dequantize (or cast) nodes and its output quantize/dequantize pair, fed with the
 * reference's FP32 tensors instead of the candidate's: the layer's error on its own, free of what
 * came before.
 *
 * <p>Each copy is found by walking back from the layer's inputs through precision nodes and
 * constants to weights and to activations; each activation becomes a graph input named
 * {@code ref::<reference tensor>}, shared by every copy that reads it. A layer whose activations
 * have no reference counterpart is left out and its added error is estimated instead.
 */
final class IsolationGraph {
  /** The prefix of the graph inputs that take reference tensors. */
  static final String INPUT_PREFIX = "ref::";

  private final Graph graph;
  private final Map<String, String> inputs;
  private final Map<LayerMatcher.Match, String> outputs;

  private IsolationGraph(
      Graph graph, Map<String, String> inputs, Map<LayerMatcher.Match, String> outputs) {
    this.graph = graph;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** Returns the graph (at the candidate's opset), or empty when no layer could be isolated. */
  Optional<Graph> graph() {
    return outputs.isEmpty() ? Optional.empty() : Optional.of(graph);
  }

  /** Returns each graph input's name with the reference tensor that feeds it. */
  Map<String, String> inputs() {
    return inputs;
  }

  /** Returns the output of the isolated copy of {@code m}, if it was built. */
  Optional<String> output(LayerMatcher.Match m) {
    return Optional.ofNullable(outputs.get(m));
  }

  /**
   * Builds isolated copies of {@code layers}.
   *
   * @param matcher the layer matching, with the candidate graph
   * @param layers the layers to isolate
   * @param refTypes known types of reference values
   * @param candTypes known types of candidate values
   */
  static IsolationGraph build(
      LayerMatcher matcher,
      List<LayerMatcher.Match> layers,
      Map<String, TensorType> refTypes,
      Map<String, TensorType> candTypes) {
    Graph cand = matcher.candidate();
    GraphBuilder b = new GraphBuilder("edgeopt_isolated_layers", cand.opset()).info(cand.info());
    Map<String, String> inputs = new LinkedHashMap<>();
    Map<LayerMatcher.Match, String> outputs = new LinkedHashMap<>();
    Set<String> initializers = new LinkedHashSet<>();
    int index = 0;
    for (LayerMatcher.Match m : layers) {
      Copy copy = new Copy(matcher, cand);
      if (!copy.collect(m) || !typed(copy.boundaries.values(), refTypes)) {
        continue;
      }
      String prefix = "iso" + index++ + "::";
      List<Node> ordered = cand.nodes().stream().filter(copy.nodes::contains).toList();
      int unnamed = 0;
      for (Node n : ordered) {
        List<String> in = new ArrayList<>();
        for (String v : n.inputs()) {
          in.add(rename(v, prefix, cand, copy.boundaries));
        }
        List<String> out = n.outputs().stream().map(v -> v.isEmpty() ? v : prefix + v).toList();
        String name = prefix + (n.name().isEmpty() ? "node" + unnamed++ : n.name());
        b.addNode(new Node(name, n.opType(), n.domain(), in, out, n.attributes()));
      }
      initializers.addAll(copy.initializers);
      copy.boundaries.values().forEach(r -> inputs.putIfAbsent(INPUT_PREFIX + r, r));
      String out = prefix + m.candidateTensor();
      TensorType t = candTypes.get(m.candidateTensor());
      b.addOutput(new Value(out, new TensorType(t == null ? DataType.FLOAT : t.dataType(), null)));
      outputs.put(m, out);
    }
    initializers.forEach(name -> b.addInitializer(cand.initializers().get(name)));
    // Full shapes, with the reference's symbolic batch: ONNX Runtime checks every feed against
    // them.
    inputs.forEach((name, ref) -> b.addInput(new Value(name, refTypes.get(ref))));
    return new IsolationGraph(
        outputs.isEmpty() ? null : b.build(), Map.copyOf(inputs), Map.copyOf(outputs));
  }

  private static boolean typed(
      java.util.Collection<String> refValues, Map<String, TensorType> refTypes) {
    return refValues.stream()
        .allMatch(v -> refTypes.get(v) != null && refTypes.get(v).shape() != null);
  }

  private static String rename(
      String v, String prefix, Graph cand, Map<String, String> boundaries) {
    if (v.isEmpty() || cand.initializers().containsKey(v)) {
      return v;
    }
    String ref = boundaries.get(v);
    return ref != null ? INPUT_PREFIX + ref : prefix + v;
  }

  /** The nodes, weights and reference-fed activations of one layer's copy. */
  private static final class Copy {
    private final LayerMatcher matcher;
    private final Graph cand;
    private final Set<Node> nodes = new LinkedHashSet<>();
    private final Set<String> initializers = new LinkedHashSet<>();
    private final Map<String, String> boundaries = new LinkedHashMap<>();
    private final Set<String> graphInputs = new LinkedHashSet<>();

    Copy(LayerMatcher matcher, Graph cand) {
      this.matcher = matcher;
      this.cand = cand;
      cand.inputs().forEach(v -> graphInputs.add(v.name()));
    }

    /**
     * Collects the layer, what it reads and its output quantize/dequantize pair; false when an
     * activation has no reference counterpart.
     *
     * <p>Each quantized activation's error is charged once, to the layer that produces it (its
     * output pair); so an input that arrives quantized from another layer is fed as the
     * reference's float tensor in place of its dequantized value. Only the graph input, which no
     * layer produces, keeps its quantize/dequantize pair in the copy of the layer reading it.
     */
    boolean collect(LayerMatcher.Match m) {
      Node layer = m.candidate();
      nodes.add(layer);
      if (m.outputQuantize() != null) {
        nodes.add(m.outputQuantize());
        nodes.add(m.outputDequantize());
      }
      for (Node n : List.copyOf(nodes)) {
        for (String in : n.inputs()) {
          if (n == layer ? !input(in) : !value(in)) {
            return false;
          }
        }
      }
      return true;
    }

    private boolean input(String v) {
      Optional<Node> dq =
          matcher.candidateProducer(v).filter(p -> p.opType().equals("DequantizeLinear"));
      Optional<Node> q =
          dq.flatMap(d -> matcher.candidateProducer(d.input(0)))
              .filter(p -> p.opType().equals("QuantizeLinear"));
      if (q.isEmpty() || cand.initializers().containsKey(q.get().input(0))) {
        return value(v);
      }
      String raw = q.get().input(0);
      if (graphInputs.contains(raw)) {
        return value(v);
      }
      Optional<String> ref = matcher.referenceValue(raw);
      if (ref.isEmpty()) {
        return false;
      }
      boundaries.put(v, ref.get());
      return true;
    }

    private boolean value(String v) {
      if (v.isEmpty() || boundaries.containsKey(v)) {
        return true;
      }
      if (cand.initializers().containsKey(v)) {
        initializers.add(v);
        return true;
      }
      Optional<Node> p = matcher.candidateProducer(v);
      if (p.isPresent() && nodes.contains(p.get())) {
        return true;
      }
      if (p.isPresent() && LayerMatcher.isPlumbing(p.get(), cand)) {
        nodes.add(p.get());
        for (String in : p.get().inputs()) {
          if (!value(in)) {
            return false;
          }
        }
        return true;
      }
      Optional<String> ref = matcher.referenceValue(v);
      if (ref.isEmpty()) {
        return false;
      }
      boundaries.put(v, ref.get());
      return true;
    }
  }
}
