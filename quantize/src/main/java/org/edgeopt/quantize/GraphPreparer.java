package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.GraphException;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * Brings an FP32 graph into the form QDQ placement needs, without changing what it computes:
 * opset 13 or later (per-channel {@code DequantizeLinear}), no inference-time no-ops, and
 * BatchNormalization and constant bias additions folded into the Conv or MatMul before them,
 * so that each of those layers becomes one integer kernel.
 *
 * <p>A folded layer writes the tensor the folded node wrote, so calibrated ranges keyed by
 * tensor name still apply.
 */
public final class GraphPreparer {
  /** The lowest opset that has per-channel {@code QuantizeLinear}/{@code DequantizeLinear}. */
  public static final int MIN_OPSET = 13;

  private GraphPreparer() {}

  /**
   * A prepared graph and what was changed.
   *
   * @param graph the prepared graph, with inferred shapes
   * @param changes one line per rewrite, e.g. {@code folded BatchNormalization 'bn1' into Conv 'conv1'}
   * @param biasShifts per Conv or Gemm, the mean output shift per channel that quantizing its
   *     weights adds ({@link BiasCorrection}); its quantized bias subtracts it. Kept apart from
   *     the graph because a layer that stays float must keep its own bias.
   */
  public record Prepared(Graph graph, List<String> changes, Map<String, float[]> biasShifts) {
    public Prepared {
      changes = List.copyOf(changes);
      Map<String, float[]> copy = new java.util.LinkedHashMap<>();
      (biasShifts == null ? Map.<String, float[]>of() : biasShifts)
          .forEach((k, v) -> copy.put(k, v.clone()));
      biasShifts = java.util.Collections.unmodifiableMap(copy);
    }

    /** Creates a prepared graph without bias corrections. */
    public Prepared(Graph graph, List<String> changes) {
      this(graph, changes, Map.of());
    }
  }

  /**
   * Rejects weights that are not finite numbers: NaN anywhere, or an infinity outside the
   * bounds of a Clip (where it means "no bound").
   *
   * @throws EdgeoptException (invalid input) naming the initializer, the node that reads it and the index
   */
  public static void checkFinite(Graph g, String where) throws EdgeoptException {
    Map<String, List<Node>> consumers = g.consumers();
    for (Tensor t : g.initializers().values()) {
      if (!t.dataType().isFloat()) {
        continue;
      }
      List<Node> readers = consumers.getOrDefault(t.name(), List.of());
      boolean clipBound =
          !readers.isEmpty() && readers.stream().allMatch(n -> n.opType().equals("Clip"));
      float[] v = t.toFloats();
      for (int i = 0; i < v.length; i++) {
        if (Float.isNaN(v[i]) || (Float.isInfinite(v[i]) && !clipBound)) {
          throw EdgeoptException.invalid(
              where
                  + ": initializer '"
                  + t.name()
                  + "'"
                  + (readers.isEmpty() ? "" : " of " + readers.get(0).describe())
                  + " holds "
                  + v[i]
                  + " at index "
                  + i
                  + ": expected finite weights");
        }
      }
    }
  }

  /** Prepares {@code g}; {@code where} names the model in errors. */
  public static Prepared prepare(Graph g, String where) throws EdgeoptException {
    checkFinite(g, where);
    List<String> changes = new ArrayList<>();
    Graph cur = g;
    if (cur.opset() < MIN_OPSET) {
      changes.add("converted opset " + cur.opset() + " to " + MIN_OPSET);
      cur = OnnxChecker.convertOpset(cur, MIN_OPSET, where);
    }
    cur = OnnxChecker.inferShapes(cur, where);
    try {
      cur = nameNodes(cur);
      cur = removeNoOps(cur, changes);
      cur = liftConstants(cur, changes);
      cur = foldConstantReshapes(cur, changes);
      cur = foldBatchNorm(cur, changes);
      cur = foldConvBiasAdd(cur, changes);
      cur = foldMatMulAdd(cur, changes);
    } catch (GraphException e) {
      throw new IllegalStateException(
          where + ": preparing the graph for quantization broke it: " + e.getMessage(), e);
    }
    return new Prepared(cur, changes);
  }

  /** Gives every unnamed node a unique name, so that reports and {@code --exclude} can name it. */
  private static Graph nameNodes(Graph g) {
    if (g.nodes().stream().noneMatch(n -> n.name().isEmpty())) {
      return g;
    }
    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    g.inputs().forEach(b::addInput);
    g.outputs().forEach(b::addOutput);
    g.initializers().values().forEach(b::addInitializer);
    g.valueInfo().values().forEach(b::putValueInfo);
    java.util.Set<String> taken = new java.util.HashSet<>();
    g.nodes().forEach(n -> taken.add(n.name()));
    int i = 0;
    for (Node n : g.nodes()) {
      if (n.name().isEmpty()) {
        String name;
        do {
          name = n.opType() + "_" + i++;
        } while (!taken.add(name));
        n = new Node(name, n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes());
      }
      b.addNode(n);
    }
    return b.build();
  }

  /** Removes Identity and inference-mode Dropout nodes whose output is not a graph output. */
  private static Graph removeNoOps(Graph g, List<String> changes) {
    GraphBuilder b = g.toBuilder();
    boolean changed = false;
    Map<String, List<Node>> consumers = g.consumers();
    Map<String, String> alias = new java.util.HashMap<>();
    for (Node n : g.nodes()) {
      boolean noOp =
          n.opType().equals("Identity")
              || (n.opType().equals("Dropout")
                  && (n.outputs().size() < 2
                      || n.outputs().get(1).isEmpty()
                      || !consumers.containsKey(n.outputs().get(1)))
                  && n.input(1).isEmpty()
                  && n.input(2).isEmpty());
      if (!noOp || !n.domain().isEmpty() || g.isOutput(n.output())) {
        continue;
      }
      String source = n.input(0);
      while (alias.containsKey(source)) {
        source = alias.get(source);
      }
      alias.put(n.output(), source);
      b.removeNode(n.name());
      b.replaceUses(n.output(), source);
      changes.add("removed " + n.describe() + " (a no-op at inference)");
      changed = true;
    }
    return changed ? b.build() : g;
  }

  private static Graph liftConstants(Graph g, List<String> changes) {
    Graph lifted = org.edgeopt.core.graph.ConstantNodes.lift(g);
    if (lifted != g) {
      changes.add("lifted Constant nodes into initializers");
    }
    return lifted;
  }

  /**
   * Replaces {@code Reshape(initializer, constant shape)} by a reshaped initializer, so that
   * weights exported behind a Reshape (as CNTK does) are quantized per channel like any other.
   */
  private static Graph foldConstantReshapes(Graph g, List<String> changes) {
    GraphBuilder b = g.toBuilder();
    boolean changed = false;
    for (Node n : g.nodes()) {
      Tensor data = g.initializers().get(n.input(0));
      Tensor shape = n.input(1).isEmpty() ? null : g.initializers().get(n.input(1));
      if (!n.opType().equals("Reshape")
          || !n.domain().isEmpty()
          || data == null
          || shape == null
          || g.isOutput(n.output())) {
        continue;
      }
      long[] dims = reshaped(data.dims(), shape.toLongs(), n.intAttr("allowzero", 0) != 0);
      if (dims == null) {
        continue;
      }
      b.removeNode(n.name());
      b.addInitializer(new Tensor(n.output(), data.dataType(), dims, data.data()));
      changes.add("folded constant " + n.describe() + " into initializer '" + n.output() + "'");
      changed = true;
    }
    return changed ? b.removeUnused().build() : g;
  }

  /** Returns the dimensions ONNX Reshape gives {@code dims} for {@code shape}, or null when invalid. */
  static long[] reshaped(long[] dims, long[] shape, boolean allowZero) {
    long total = 1;
    for (long d : dims) {
      total *= d;
    }
    long[] out = new long[shape.length];
    int infer = -1;
    long known = 1;
    for (int i = 0; i < shape.length; i++) {
      long s = shape[i];
      if (s == 0 && !allowZero) {
        if (i >= dims.length) {
          return null;
        }
        s = dims[i];
      }
      if (s == -1) {
        if (infer >= 0) {
          return null;
        }
        infer = i;
        continue;
      }
      if (s < 0) {
        return null;
      }
      out[i] = s;
      known *= s;
    }
    if (infer >= 0) {
      if (known == 0 || total % known != 0) {
        return null;
      }
      out[infer] = total / known;
      known *= out[infer];
    }
    return known == total ? out : null;
  }

  private static Optional<Node> soleConsumer(
      Graph g, Map<String, List<Node>> consumers, String value) {
    List<Node> c = consumers.getOrDefault(value, List.of());
    return c.size() == 1 && !g.isOutput(value) ? Optional.of(c.get(0)) : Optional.empty();
  }

  private static Tensor floatInit(Graph g, String name) {
    Tensor t = name.isEmpty() ? null : g.initializers().get(name);
    return t != null && t.dataType() == DataType.FLOAT ? t : null;
  }

  /** Folds {@code BatchNormalization} into the Conv that feeds it alone. */
  private static Graph foldBatchNorm(Graph g, List<String> changes) {
    org.edgeopt.core.graph.BatchNormFolding.Result r =
        org.edgeopt.core.graph.BatchNormFolding.fold(g);
    r.folded().forEach(f -> changes.add("folded " + f));
    return r.graph();
  }

  /** Folds {@code Add(conv, constant)} with one constant per output channel into the Conv's bias. */
  private static Graph foldConvBiasAdd(Graph g, List<String> changes) {
    GraphBuilder b = g.toBuilder();
    Map<String, List<Node>> consumers = g.consumers();
    boolean changed = false;
    for (Node conv : g.nodes()) {
      if (!conv.opType().equals("Conv") || !conv.domain().isEmpty()) {
        continue;
      }
      Optional<Node> next = soleConsumer(g, consumers, conv.output());
      Tensor w = floatInit(g, conv.input(1));
      if (next.isEmpty() || w == null || !next.get().opType().equals("Add")) {
        continue;
      }
      Node add = next.get();
      String other = add.input(0).equals(conv.output()) ? add.input(1) : add.input(0);
      Tensor c = floatInit(g, other);
      int m = (int) w.dim(0);
      if (c == null || other.equals(conv.output()) || !perChannel(c.dims(), m, w.rank())) {
        continue;
      }
      Tensor oldBias = floatInit(g, conv.input(2));
      float[] bias = oldBias == null ? new float[m] : oldBias.toFloats();
      float[] add1 = c.toFloats();
      for (int i = 0; i < m; i++) {
        bias[i] += add1[add1.length == 1 ? 0 : i];
      }
      String bName = b.uniqueName(other + "_as_bias");
      b.addInitializer(Tensor.ofFloats(bName, new long[] {m}, bias));
      b.replaceNode(
          new Node(
              conv.name(),
              conv.opType(),
              conv.domain(),
              List.of(conv.input(0), conv.input(1), bName),
              List.of(add.output()),
              conv.attributes()));
      b.removeNode(add.name());
      changes.add("folded " + add.describe() + " into the bias of " + conv.describe());
      changed = true;
    }
    return changed ? b.removeUnused().build() : g;
  }

  /** Returns whether a constant of {@code dims} adds one value per channel to an NCHW-like output of this rank. */
  static boolean perChannel(long[] dims, int channels, int outputRank) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (count == 1) {
      return dims.length <= outputRank;
    }
    if (dims.length > outputRank || count != channels) {
      return false;
    }
    // Broadcasting aligns trailing dimensions: constant index j meets output axis outputRank - rank
    // + j.
    int channelIndex = 1 - (outputRank - dims.length);
    if (channelIndex < 0 || dims[channelIndex] != channels) {
      return false;
    }
    for (int j = 0; j < dims.length; j++) {
      if (j != channelIndex && dims[j] != 1) {
        return false;
      }
    }
    return true;
  }

  /** Turns {@code Add(MatMul(a, W), bias)} with a rank-2 {@code a} and a bias of N values into one Gemm. */
  private static Graph foldMatMulAdd(Graph g, List<String> changes) {
    GraphBuilder b = g.toBuilder();
    Map<String, List<Node>> consumers = g.consumers();
    boolean changed = false;
    for (Node mm : g.nodes()) {
      if (!mm.opType().equals("MatMul") || !mm.domain().isEmpty()) {
        continue;
      }
      Tensor w = floatInit(g, mm.input(1));
      Optional<Shape> aShape = g.shape(mm.input(0));
      Optional<Node> next = soleConsumer(g, consumers, mm.output());
      if (w == null
          || w.rank() != 2
          || aShape.isEmpty()
          || aShape.get().rank() != 2
          || next.isEmpty()
          || !next.get().opType().equals("Add")) {
        continue;
      }
      Node add = next.get();
      String other = add.input(0).equals(mm.output()) ? add.input(1) : add.input(0);
      Tensor c = floatInit(g, other);
      long n = w.dim(1);
      if (c == null
          || other.equals(mm.output())
          || c.elementCount() != n
          || !(c.rank() == 1 || (c.rank() == 2 && c.dim(0) == 1))) {
        continue;
      }
      String cName = other;
      if (c.rank() != 1) {
        cName = b.uniqueName(other + "_1d");
        b.addInitializer(Tensor.ofFloats(cName, new long[] {n}, c.toFloats()));
      }
      b.removeNode(mm.name());
      b.removeNode(add.name());
      b.addNode(
          Node.of(
              mm.name(),
              "Gemm",
              List.of(mm.input(0), mm.input(1), cName),
              List.of(add.output()),
              Attribute.of("alpha", 1f),
              Attribute.of("beta", 1f)));
      changes.add("fused " + mm.describe() + " and " + add.describe() + " into one Gemm");
      changed = true;
    }
    return changed ? b.removeUnused().build() : g;
  }
}
