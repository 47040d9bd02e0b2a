package org.edgeopt.core.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one mutable way to make or edit a {@link Graph}.
 *
 * <p>Nodes are checked against the {@link OperatorRegistry} as they are added; {@link
 * #build()} checks that every value has exactly one producer, orders the nodes topologically
 * and rejects cycles.
 */
public final class GraphBuilder {
  private String name;
  private final List<Value> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Tensor> initializers = new LinkedHashMap<>();
  private final Map<String, Value> valueInfo = new LinkedHashMap<>();
  private ModelInfo info;
  private final Set<String> usedNames = new HashSet<>();

  /** Starts an empty graph at the given default-domain opset. */
  public GraphBuilder(String name, long opset) {
    this.name = name;
    this.info = ModelInfo.of(opset);
  }

  /** Starts from an existing graph. */
  public GraphBuilder(Graph g) {
    this.name = g.name();
    this.inputs.addAll(g.inputs());
    this.outputs.addAll(g.outputs());
    this.nodes.addAll(g.nodes());
    this.initializers.putAll(g.initializers());
    this.valueInfo.putAll(g.valueInfo());
    this.info = g.info();
    g.nodes()
        .forEach(
            n -> {
              usedNames.add(n.name());
              usedNames.addAll(n.outputs());
            });
    usedNames.addAll(g.initializers().keySet());
    g.inputs().forEach(v -> usedNames.add(v.name()));
  }

  /** Sets the graph name. */
  public GraphBuilder name(String newName) {
    this.name = newName;
    return this;
  }

  /** Sets the model-level info. */
  public GraphBuilder info(ModelInfo newInfo) {
    this.info = newInfo;
    return this;
  }

  /** Returns the current model-level info. */
  public ModelInfo info() {
    return info;
  }

  /** Adds a graph input. */
  public GraphBuilder addInput(Value v) {
    inputs.add(v);
    usedNames.add(v.name());
    return this;
  }

  /** Adds a graph output. */
  public GraphBuilder addOutput(Value v) {
    outputs.add(v);
    return this;
  }

  /** Replaces all graph inputs. */
  public GraphBuilder setInputs(List<Value> values) {
    inputs.clear();
    values.forEach(this::addInput);
    return this;
  }

  /** Replaces all graph outputs. */
  public GraphBuilder setOutputs(List<Value> values) {
    outputs.clear();
    outputs.addAll(values);
    return this;
  }

  /** Returns the current graph outputs. */
  public List<Value> outputs() {
    return List.copyOf(outputs);
  }

  /** Returns the current graph inputs. */
  public List<Value> inputs() {
    return List.copyOf(inputs);
  }

  /** Adds a node after checking it against the operator registry. */
  public GraphBuilder addNode(Node n) {
    String problem = OperatorRegistry.check(n);
    if (problem != null) {
      throw new GraphException(problem);
    }
    nodes.add(n);
    usedNames.add(n.name());
    usedNames.addAll(n.outputs());
    return this;
  }

  /** Adds a default-domain node and returns its first output name. */
  public String add(
      String opType, String nodeName, List<String> in, List<String> out, Attribute... attrs) {
    addNode(Node.of(nodeName, opType, in, out, attrs));
    return out.get(0);
  }

  /** Returns the current nodes, in insertion order. */
  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** Removes the node with the given name. */
  public GraphBuilder removeNode(String nodeName) {
    if (!nodes.removeIf(n -> n.name().equals(nodeName))) {
      throw new GraphException("no node named '" + nodeName + "'");
    }
    return this;
  }

  /** Replaces the node with the same name as {@code n}. */
  public GraphBuilder replaceNode(Node n) {
    String problem = OperatorRegistry.check(n);
    if (problem != null) {
      throw new GraphException(problem);
    }
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).name().equals(n.name())) {
        nodes.set(i, n);
        usedNames.addAll(n.outputs());
        return this;
      }
    }
    throw new GraphException("no node named '" + n.name() + "'");
  }

  /** Adds or replaces an initializer. */
  public GraphBuilder addInitializer(Tensor t) {
    initializers.put(t.name(), t);
    usedNames.add(t.name());
    return this;
  }

  /** Removes an initializer. */
  public GraphBuilder removeInitializer(String valueName) {
    initializers.remove(valueName);
    return this;
  }

  /** Returns the current initializers. */
  public Map<String, Tensor> initializers() {
    return java.util.Collections.unmodifiableMap(initializers);
  }

  /** Records or replaces the type of an intermediate value. */
  public GraphBuilder putValueInfo(Value v) {
    valueInfo.put(v.name(), v);
    return this;
  }

  /** Forgets all intermediate value types (e.g. before shape inference runs again). */
  public GraphBuilder clearValueInfo() {
    valueInfo.clear();
    return this;
  }

  /** Makes every node that read {@code oldName} read {@code newName} instead. */
  public GraphBuilder replaceUses(String oldName, String newName) {
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n.inputs().contains(oldName)) {
        List<String> in = new ArrayList<>(n.inputs());
        in.replaceAll(s -> s.equals(oldName) ? newName : s);
        nodes.set(i, n.withInputs(in));
      }
    }
    return this;
  }

  /** Returns a name based on {@code base} that no node, value or initializer uses yet. */
  public String uniqueName(String base) {
    String candidate = base;
    int i = 1;
    while (usedNames.contains(candidate) || initializers.containsKey(candidate)) {
      candidate = base + "_" + i++;
    }
    usedNames.add(candidate);
    return candidate;
  }

  /**
   * Removes nodes whose outputs nobody reads and initializers that nothing uses, repeatedly,
   * keeping everything that graph outputs depend on.
   */
  public GraphBuilder removeUnused() {
    boolean changed = true;
    while (changed) {
      Set<String> read = new HashSet<>();
      nodes.forEach(n -> read.addAll(n.inputs()));
      outputs.forEach(v -> read.add(v.name()));
      changed = nodes.removeIf(n -> n.outputs().stream().noneMatch(read::contains));
      initializers.keySet().removeIf(k -> !read.contains(k));
    }
    return this;
  }

  /** Checks the graph and returns it with nodes in topological order. */
  public Graph build() {
    Map<String, Node> producer = new HashMap<>();
    Set<String> available = new HashSet<>(initializers.keySet());
    inputs.forEach(v -> available.add(v.name()));
    Set<String> nodeNames = new HashSet<>();
    for (Node n : nodes) {
      if (!n.name().isEmpty() && !nodeNames.add(n.name())) {
        throw new GraphException("two nodes are named '" + n.name() + "'");
      }
      for (String o : n.outputs()) {
        if (o.isEmpty()) {
          continue;
        }
        Node prev = producer.put(o, n);
        if (prev != null || inputs.stream().anyMatch(v -> v.name().equals(o))) {
          throw new GraphException(n.describe() + ": value '" + o + "' is produced more than once");
        }
      }
    }
    List<Node> sorted = topologicalOrder(producer, available);
    for (Value out : outputs) {
      if (!producer.containsKey(out.name()) && !available.contains(out.name())) {
        throw new GraphException("graph output '" + out.name() + "' is produced by no node");
      }
    }
    return new Graph(name, inputs, outputs, sorted, initializers, valueInfo, info);
  }

  private List<Node> topologicalOrder(Map<String, Node> producer, Set<String> available) {
    // Indices, not nodes, as keys: unnamed nodes may compare equal. The queue is ordered by
    // original position, so an already sorted graph keeps its order exactly.
    int count = nodes.size();
    int[] pending = new int[count];
    Map<String, List<Integer>> readers = new HashMap<>();
    java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
    for (int i = 0; i < count; i++) {
      Node n = nodes.get(i);
      for (String in : new java.util.LinkedHashSet<>(n.inputs())) {
        if (in.isEmpty() || available.contains(in)) {
          continue;
        }
        if (!producer.containsKey(in)) {
          throw new GraphException(
              n.describe()
                  + ": input '"
                  + in
                  + "' is not a graph input, an initializer or any node's output");
        }
        pending[i]++;
        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
      }
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<Node> order = new ArrayList<>(count);
    while (!ready.isEmpty()) {
      Node n = nodes.get(ready.poll());
      order.add(n);
      for (String o : n.outputs()) {
        for (int r : readers.getOrDefault(o, List.of())) {
          if (--pending[r] == 0) {
            ready.add(r);
          }
        }
      }
    }
    if (order.size() != count) {
      for (int i = 0; i < count; i++) {
        if (pending[i] > 0) {
          throw new GraphException("the graph has a cycle through " + nodes.get(i).describe());
        }
      }
    }
    return order;
  }
}
