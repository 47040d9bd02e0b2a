package org.edgeopt.ingest.pass;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * Replaces constant subgraphs by initializers: {@code Constant} nodes, nodes whose inputs are all
 * initializers or already-folded values, and {@code Shape} of a value whose shape is static.
 *
 * <p>Shapes are inferred first (by the ONNX library) so {@code Shape} nodes can fold, and folding
 * repeats while it finds more. Not folded: random and quantize/dequantize operators (folding a
 * DequantizeLinear would undo quantization), operators with sub-graphs, nodes that produce a
 * graph output, and results more than {@value #GROWTH_LIMIT_BYTES} bytes larger than their inputs,
 * which would bloat the model.
 */
public final class ConstantFolding implements GraphPass {
  /** A folded result may exceed the size of its constant inputs by at most this many bytes. */
  static final long GROWTH_LIMIT_BYTES = 1 << 20;

  private static final Set<String> NEVER_FOLD =
      Set.of(
          "RandomNormal",
          "RandomUniform",
          "RandomNormalLike",
          "RandomUniformLike",
          "Multinomial",
          "Bernoulli",
          "Dropout",
          "QuantizeLinear",
          "DequantizeLinear",
          "DynamicQuantizeLinear",
          "If",
          "Loop",
          "Scan",
          "SequenceConstruct",
          "SequenceEmpty",
          "SequenceInsert",
          "SequenceErase",
          "SplitToSequence",
          "Optional",
          "OptionalGetElement",
          "OptionalHasElement");

  private static final int MAX_ROUNDS = 4;

  @Override
  public String name() {
    return "constant-folding";
  }

  @Override
  public PassResult apply(Graph graph, String where) throws EdgeoptException {
    Graph g = graph;
    Map<String, Integer> folded = new LinkedHashMap<>();
    int kept = 0;
    for (int round = 0; round < MAX_ROUNDS; round++) {
      Graph typed = OnnxChecker.inferShapes(g, where);
      Round r = foldOnce(typed);
      kept = r.kept;
      if (r.folded.isEmpty()) {
        break;
      }
      r.folded.forEach((op, n) -> folded.merge(op, n, Integer::sum));
      g = r.graph;
    }
    if (folded.isEmpty()) {
      return new PassResult(
          graph,
          false,
          name()
              + ": no constant subgraphs"
              + (kept > 0 ? " (" + kept + " constant nodes left to the runtime)" : ""));
    }
    List<String> parts = new ArrayList<>();
    folded.forEach((op, n) -> parts.add(n + " " + op));
    return new PassResult(
        g,
        true,
        name()
            + ": folded "
            + String.join(", ", parts)
            + " into initializers"
            + (kept > 0 ? " (" + kept + " constant nodes left to the runtime)" : ""));
  }

  /** The outcome of one folding sweep. */
  private record Round(Graph graph, Map<String, Integer> folded, int kept) {}

  private Round foldOnce(Graph g) {
    ConstantEvaluator eval = new ConstantEvaluator(g.info());
    Map<String, Tensor> known = new HashMap<>(g.initializers());
    List<Node> keptNodes = new ArrayList<>();
    Map<String, Tensor> newInits = new LinkedHashMap<>();
    Map<String, Integer> folded = new LinkedHashMap<>();
    int kept = 0;
    for (Node n : g.nodes()) {
      Optional<List<Tensor>> result =
          candidate(g, n, known) ? tryFold(eval, g, n, known) : Optional.empty();
      if (result.isEmpty()) {
        if (isConstantInput(g, n, known)) {
          kept++;
        }
        keptNodes.add(n);
        continue;
      }
      for (Tensor t : result.get()) {
        known.put(t.name(), t);
        newInits.put(t.name(), t);
      }
      folded.merge(n.opType(), 1, Integer::sum);
    }
    if (folded.isEmpty()) {
      return new Round(g, folded, kept);
    }
    GraphBuilder b = GraphCopies.withoutNodes(g);
    newInits.values().forEach(b::addInitializer);
    keptNodes.forEach(b::addNode);
    b.removeUnused();
    return new Round(b.build(), folded, kept);
  }

  private static boolean candidate(Graph g, Node n, Map<String, Tensor> known) {
    if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
      return false;
    }
    if (NEVER_FOLD.contains(n.opType())
        || n.outputs().isEmpty()
        || n.attributes().values().stream().anyMatch(a -> a.kind() == Attribute.Kind.GRAPH)) {
      return false;
    }
    if (n.outputs().stream().anyMatch(o -> o.isEmpty() || g.isOutput(o))) {
      return false;
    }
    if (n.opType().equals("Constant")) {
      return true;
    }
    if (n.opType().equals("Shape")) {
      Shape s = staticShape(g, n.input(0), known);
      return s != null;
    }
    return isConstantInput(g, n, known);
  }

  private static boolean isConstantInput(Graph g, Node n, Map<String, Tensor> known) {
    List<String> in = n.inputs().stream().filter(s -> !s.isEmpty()).toList();
    return !in.isEmpty() && in.stream().allMatch(known::containsKey);
  }

  private static Shape staticShape(Graph g, String value, Map<String, Tensor> known) {
    Tensor t = known.get(value);
    if (t != null) {
      return Shape.of(t.dims());
    }
    Shape s = g.shape(value).orElse(null);
    return s != null && s.isStatic() ? s : null;
  }

  private static Optional<List<Tensor>> tryFold(
      ConstantEvaluator eval, Graph g, Node n, Map<String, Tensor> known) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    long inBytes = 0;
    for (String in : n.inputs()) {
      if (!in.isEmpty() && known.containsKey(in)) {
        Tensor t = known.get(in);
        inputs.put(in, t);
        inBytes += t.byteSize();
      }
    }
    Shape shape = n.opType().equals("Shape") ? staticShape(g, n.input(0), known) : null;
    Optional<List<Tensor>> out;
    try {
      out = eval.evaluate(n, inputs, shape);
    } catch (RuntimeException e) {
      // A malformed constant computation is left for the checker and runtime to report in context.
      return Optional.empty();
    }
    if (out.isEmpty()) {
      return out;
    }
    long outBytes = out.get().stream().mapToLong(Tensor::byteSize).sum();
    if (outBytes > inBytes + GROWTH_LIMIT_BYTES) {
      return Optional.empty();
    }
    return out;
  }
}
