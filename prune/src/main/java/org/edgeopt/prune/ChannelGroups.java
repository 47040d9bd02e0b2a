package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * Finds which channels of a model can be removed together, following each weighted layer's
 * output channels through every consumer.
 *
 * <p>Each tensor gets a channel space: a list of segments, each a run of one group's channels
 * (a Concat along channels joins its inputs' segments, so its offsets are known). Convolutions
 * and Gemm/MatMul layers start a new group (sources) and read their input's space (sinks);
 * BatchNormalization, activations, pooling, Dropout and depthwise convolutions carry the space
 * through, slicing their per-channel parameters; elementwise Add/Mul/Sub/Div tie the groups of
 * their inputs together (residual connections); Flatten after a pooled map keeps the channel
 * order for a following Gemm. Any other use of a group's tensor (Reshape, Transpose, a graph
 * input or output, an unknown operator) freezes the group: it is not pruned.
 */
public final class ChannelGroups {
  /** A run of {@code length} channels of group {@code group}. */
  record Segment(int group, int length) {}

  /**
   * The channels of one tensor: its segments, and how many elements each channel spans along
   * the channel axis ({@code inner > 1} after a Flatten of an H x W map).
   */
  record Space(List<Segment> segments, int inner) {
    int channels() {
      return segments.stream().mapToInt(Segment::length).sum();
    }
  }

  /** A weighted layer reading a channel space. */
  record Sink(Node node, String tensor) {}

  /** A per-channel parameter input of a carrying node (BN statistics, depthwise weights, a broadcast constant). */
  record Param(Node node, int input, String tensor, int axis) {}

  final Graph graph;
  final Map<String, Space> spaces = new HashMap<>();
  final Map<Integer, Integer> sizes = new HashMap<>();
  final Map<Integer, List<Node>> sources = new LinkedHashMap<>();
  final List<Sink> sinks = new ArrayList<>();
  final List<Param> params = new ArrayList<>();
  final List<Node> depthwise = new ArrayList<>();
  private final Map<Integer, Integer> parent = new HashMap<>();
  private final Map<Integer, String> frozen = new HashMap<>();
  private final Map<String, Tensor> constants = new HashMap<>();
  private int next;

  private ChannelGroups(Graph typed) {
    this.graph = typed;
  }

  /** Analyses {@code g} (shapes are inferred first); {@code where} names the model in errors. */
  public static ChannelGroups analyse(Graph g, String where) throws EdgeoptException {
    Graph typed = OnnxChecker.inferShapes(g.toBuilder().clearValueInfo().build(), where);
    ChannelGroups a = new ChannelGroups(typed);
    a.run();
    return a;
  }

  /** Returns every group, prunable or not, in the order their first source appears. */
  public List<ChannelGroup> groups() {
    Map<Integer, List<String>> src = new LinkedHashMap<>();
    Map<Integer, Set<String>> snk = new HashMap<>();
    Map<Integer, Set<String>> tensors = new HashMap<>();
    for (Map.Entry<Integer, List<Node>> e : sources.entrySet()) {
      int r = find(e.getKey());
      e.getValue().forEach(n -> src.computeIfAbsent(r, k -> new ArrayList<>()).add(n.name()));
    }
    for (Sink s : sinks) {
      for (Segment seg : spaces.get(s.tensor()).segments()) {
        snk.computeIfAbsent(find(seg.group()), k -> new LinkedHashSet<>()).add(s.node().name());
      }
    }
    spaces.forEach(
        (t, sp) ->
            sp.segments()
                .forEach(
                    seg ->
                        tensors
                            .computeIfAbsent(find(seg.group()), k -> new java.util.TreeSet<>())
                            .add(t)));
    List<ChannelGroup> out = new ArrayList<>();
    for (Map.Entry<Integer, List<String>> e : src.entrySet()) {
      int r = e.getKey();
      String why = frozenReason(r);
      if (why == null && sizes.get(r) < 2) {
        why = "a single channel";
      }
      if (why == null && snk.getOrDefault(r, Set.of()).isEmpty()) {
        why = "no layer reads these channels";
      }
      out.add(
          new ChannelGroup(
              r,
              sizes.get(r),
              e.getValue(),
              List.copyOf(snk.getOrDefault(r, Set.of())),
              List.copyOf(tensors.getOrDefault(r, Set.of())),
              why == null,
              why == null ? "" : why));
    }
    return out;
  }

  /** Returns the prunable groups. */
  public List<ChannelGroup> prunable() {
    return groups().stream().filter(ChannelGroup::prunable).toList();
  }

  int find(int g) {
    int r = g;
    while (parent.get(r) != r) {
      r = parent.get(r);
    }
    parent.put(g, r);
    return r;
  }

  private String frozenReason(int root) {
    for (Map.Entry<Integer, String> e : frozen.entrySet()) {
      if (find(e.getKey()) == root) {
        return e.getValue();
      }
    }
    return null;
  }

  private int newGroup(int size) {
    int id = next++;
    parent.put(id, id);
    sizes.put(id, size);
    return id;
  }

  private void union(int a, int b) {
    int ra = find(a);
    int rb = find(b);
    if (ra != rb) {
      parent.put(rb, ra);
    }
  }

  private void freeze(Space s, String why) {
    if (s != null) {
      s.segments().forEach(seg -> frozen.putIfAbsent(seg.group(), why));
    }
  }

  private Space single(int size) {
    return new Space(List.of(new Segment(newGroup(size), size)), 1);
  }

  private Space opaque(int size, String why) {
    Space s = single(Math.max(size, 1));
    freeze(s, why);
    return s;
  }

  private int rank(String value) {
    return graph.shape(value).map(Shape::rank).orElse(-1);
  }

  private long dim(String value, int i) {
    return graph.shape(value).filter(s -> s.rank() > i).map(s -> s.size(i)).orElse(-1L);
  }

  private void run() {
    graph.initializers().forEach(constants::put);
    for (Node n : graph.nodes()) {
      if (n.opType().equals("Constant") && n.attribute("value").isPresent()) {
        constants.put(n.output(), n.attribute("value").get().asTensor());
      }
    }
    Map<String, List<Node>> consumers = graph.consumers();
    for (var in : graph.inputs()) {
      long c = dim(in.name(), 1);
      spaces.put(
          in.name(),
          opaque((int) Math.max(c, 1), "the channels of graph input '" + in.name() + "'"));
    }
    for (Node n : graph.nodes()) {
      visit(n, consumers);
    }
    for (var out : graph.outputs()) {
      freeze(spaces.get(out.name()), "graph output '" + out.name() + "'");
    }
  }

  private void visit(Node n, Map<String, List<Node>> consumers) {
    if (!n.domain().isEmpty()) {
      unknown(n, "operator " + n.opType() + " of domain " + n.domain());
      return;
    }
    Space in = spaces.get(n.input(0));
    switch (n.opType()) {
      case "Conv" -> conv(n, in, consumers);
      case "Gemm", "MatMul" -> matrix(n, in, consumers);
      case "BatchNormalization" -> {
        if (in == null
            || in.inner() != 1
            || n.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
          unknown(n, n.describe() + " in training mode or on unknown channels");
          return;
        }
        for (int i = 1; i <= 4; i++) {
          if (!constants.containsKey(n.input(i))) {
            unknown(n, n.describe() + " has computed statistics");
            return;
          }
          params.add(new Param(n, i, n.input(i), 0));
        }
        spaces.put(n.output(), in);
      }
      case "Relu",
          "Clip",
          "LeakyRelu",
          "Sigmoid",
          "Tanh",
          "HardSigmoid",
          "HardSwish",
          "Elu",
          "Selu",
          "Softplus",
          "Identity",
          "Neg",
          "Abs",
          "Mish",
          "Gelu",
          "Celu",
          "ThresholdedRelu",
          "Erf",
          "Exp",
          "Sqrt",
          "Reciprocal",
          "MaxPool",
          "AveragePool",
          "GlobalAveragePool",
          "GlobalMaxPool",
          "LpPool",
          "Dropout",
          "Cast" -> {
        if (in == null) {
          unknown(n, "");
          return;
        }
        for (int i = 1; i < n.outputs().size(); i++) {
          if (!n.outputs().get(i).isEmpty() && consumers.containsKey(n.outputs().get(i))) {
            unknown(n, n.describe() + " uses a second output");
            return;
          }
        }
        if (in.inner() != 1
            && !List.of("Relu", "Clip", "Identity", "Dropout", "Sigmoid", "Tanh")
                .contains(n.opType())) {
          unknown(n, n.describe() + " after a Flatten");
          return;
        }
        spaces.put(n.output(), in);
      }
      case "PRelu" -> {
        if (in == null || !perChannelConstant(n, 1, in)) {
          unknown(n, n.describe() + " with a slope that is not per channel");
          return;
        }
        spaces.put(n.output(), in);
      }
      case "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum" -> elementwise(n);
      case "Concat" -> concat(n);
      case "Flatten" -> flatten(n, in);
      default ->
          unknown(n, n.describe() + " (" + n.opType() + " is not followed by channel pruning)");
    }
  }

  /** Freezes every channel space {@code n} reads; its outputs get none. */
  private void unknown(Node n, String why) {
    String reason = why.isEmpty() ? "read by " + n.describe() : why;
    for (String i : n.inputs()) {
      freeze(spaces.get(i), reason);
    }
  }

  private void conv(Node n, Space in, Map<String, List<Node>> consumers) {
    Tensor w = graph.initializers().get(n.input(1));
    boolean constBias = n.input(2).isEmpty() || graph.initializers().containsKey(n.input(2));
    if (w == null
        || w.dataType() != org.edgeopt.core.graph.DataType.FLOAT
        || !constBias
        || consumers.getOrDefault(n.input(1), List.of()).size() > 1
        || (!n.input(2).isEmpty() && consumers.getOrDefault(n.input(2), List.of()).size() > 1)) {
      unknown(n, n.describe() + " has computed or shared weights");
      spaces.put(
          n.output(),
          opaque(
              (int) Math.max(1, dim(n.output(), 1)),
              n.describe() + " has computed or shared weights"));
      return;
    }
    long group = n.intAttr("group", 1);
    int out = (int) w.dim(0);
    if (group == 1) {
      if (in != null) {
        if (in.inner() != 1 || in.channels() != w.dim(1)) {
          freeze(in, n.describe() + " reads channels it does not match");
        } else {
          sinks.add(new Sink(n, n.input(0)));
        }
      }
      Space s = single(out);
      sources.computeIfAbsent(s.segments().get(0).group(), k -> new ArrayList<>()).add(n);
      spaces.put(n.output(), s);
    } else if (in != null
        && in.inner() == 1
        && group == in.channels()
        && out == group
        && w.dim(1) == 1) {
      // depthwise: channel c of the output is channel c of the input
      depthwise.add(n);
      params.add(new Param(n, 1, n.input(1), 0));
      if (!n.input(2).isEmpty()) {
        params.add(new Param(n, 2, n.input(2), 0));
      }
      spaces.put(n.output(), in);
    } else {
      freeze(in, n.describe() + " is a grouped convolution");
      spaces.put(n.output(), opaque(out, n.describe() + " is a grouped convolution"));
    }
  }

  private void matrix(Node n, Space in, Map<String, List<Node>> consumers) {
    Tensor w = graph.initializers().get(n.input(1));
    boolean gemm = n.opType().equals("Gemm");
    boolean transB = gemm && n.intAttr("transB", 0) == 1;
    boolean ok =
        w != null
            && w.rank() == 2
            && w.dataType() == org.edgeopt.core.graph.DataType.FLOAT
            && rank(n.input(0)) == 2
            && (!gemm || n.intAttr("transA", 0) == 0)
            && consumers.getOrDefault(n.input(1), List.of()).size() == 1;
    int out = ok ? (int) (transB ? w.dim(0) : w.dim(1)) : (int) Math.max(1, dim(n.output(), 1));
    if (ok && gemm && !n.input(2).isEmpty()) {
      Tensor c = graph.initializers().get(n.input(2));
      ok =
          c != null
              && c.rank() == 1
              && c.dim(0) == out
              && consumers.getOrDefault(n.input(2), List.of()).size() == 1;
    }
    if (!ok) {
      unknown(n, n.describe() + " is not a plain [N,K]x[K,N] layer with constant weights");
      spaces.put(n.output(), opaque(out, n.describe() + " is not a plain matrix layer"));
      return;
    }
    long k = transB ? w.dim(1) : w.dim(0);
    if (in != null) {
      if ((long) in.channels() * in.inner() != k) {
        freeze(in, n.describe() + " reads " + k + " features, not the channels it was given");
      } else {
        sinks.add(new Sink(n, n.input(0)));
      }
    }
    Space s = single(out);
    sources.computeIfAbsent(s.segments().get(0).group(), kk -> new ArrayList<>()).add(n);
    spaces.put(n.output(), s);
  }

  private void elementwise(Node n) {
    Space first = null;
    List<Space> carried = new ArrayList<>();
    for (int i = 0; i < n.inputs().size(); i++) {
      String t = n.input(i);
      if (constants.containsKey(t)) {
        continue;
      }
      Space s = spaces.get(t);
      if (s == null) {
        unknown(n, n.describe() + " combines channels with an input of unknown channels");
        return;
      }
      carried.add(s);
    }
    if (carried.isEmpty()) {
      return;
    }
    first = carried.get(0);
    for (Space s : carried) {
      if (s.inner() != first.inner() || s.segments().size() != first.segments().size()) {
        unknown(n, n.describe() + " combines differently laid-out channels");
        return;
      }
      for (int i = 0; i < s.segments().size(); i++) {
        if (s.segments().get(i).length() != first.segments().get(i).length()) {
          unknown(n, n.describe() + " combines differently laid-out channels");
          return;
        }
      }
    }
    for (int i = 0; i < n.inputs().size(); i++) {
      if (constants.containsKey(n.input(i)) && !perChannelConstant(n, i, first)) {
        unknown(n, n.describe() + " has a constant that is neither a scalar nor per channel");
        return;
      }
    }
    for (Space s : carried) {
      for (int i = 0; i < s.segments().size(); i++) {
        union(first.segments().get(i).group(), s.segments().get(i).group());
      }
    }
    spaces.put(n.output(), first);
  }

  /** Returns whether a constant input broadcasts per tensor (fine) or per channel (recorded as a param). */
  private boolean perChannelConstant(Node n, int input, Space space) {
    Tensor c = constants.get(n.input(input));
    if (c == null) {
      return false;
    }
    if (c.elementCount() == 1) {
      return true;
    }
    int tensorRank = rank(n.output());
    if (tensorRank < 2 || space.inner() != 1) {
      return false;
    }
    int axis = 1 - (tensorRank - c.rank());
    if (axis < 0 || c.dim(axis) != space.channels()) {
      return false;
    }
    for (int i = 0; i < c.rank(); i++) {
      if (i != axis && c.dim(i) != 1) {
        return false;
      }
    }
    if (!graph.initializers().containsKey(n.input(input))) {
      return false;
    }
    params.add(new Param(n, input, n.input(input), axis));
    return true;
  }

  private void concat(Node n) {
    int r = rank(n.output());
    long axis = n.intAttr("axis", 1);
    if (axis < 0) {
      axis += r;
    }
    List<Segment> segs = new ArrayList<>();
    for (String i : n.inputs()) {
      Space s = spaces.get(i);
      if (axis != 1 || s == null || s.inner() != 1) {
        unknown(
            n,
            n.describe() + " concatenates along an axis other than channels, or unknown channels");
        return;
      }
      segs.addAll(s.segments());
    }
    spaces.put(n.output(), new Space(segs, 1));
  }

  private void flatten(Node n, Space in) {
    int r = rank(n.input(0));
    if (in == null || in.inner() != 1 || n.intAttr("axis", 1) != 1 || r < 2) {
      unknown(n, n.describe() + " does not keep channels on axis 1");
      return;
    }
    long inner = 1;
    for (int i = 2; i < r; i++) {
      long d = dim(n.input(0), i);
      if (d < 0) {
        unknown(n, n.describe() + " flattens dimensions of unknown size");
        return;
      }
      inner *= d;
    }
    spaces.put(n.output(), new Space(in.segments(), (int) inner));
  }
}
