package org.edgeopt.core.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable, topologically ordered model graph with its weights and model-level info.
 *
 * <p>Built and checked by {@link GraphBuilder}; a pass reads a graph and returns a new one.
 *
 * @param name the graph name
 * @param inputs the graph inputs that are not initializers
 * @param outputs the graph outputs
 * @param nodes the nodes in topological order
 * @param initializers the weights and constants by name, in order
 * @param valueInfo known types of intermediate values, by name
 * @param info model-level facts (opsets, producer, metadata)
 */
public record Graph(
    String name,
    List<Value> inputs,
    List<Value> outputs,
    List<Node> nodes,
    Map<String, Tensor> initializers,
    Map<String, Value> valueInfo,
    ModelInfo info) {

  public Graph {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    nodes = List.copyOf(nodes);
    initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
    valueInfo = Collections.unmodifiableMap(new LinkedHashMap<>(valueInfo));
  }

  /** Returns a builder that starts from this graph. */
  public GraphBuilder toBuilder() {
    return new GraphBuilder(this);
  }

  /** Returns the opset of the default ONNX domain. */
  public long opset() {
    return info.opset();
  }

  /** Returns the node with the given name. */
  public Optional<Node> node(String nodeName) {
    return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst();
  }

  /** Returns the initializer with the given name, if any. */
  public Optional<Tensor> initializer(String valueName) {
    return Optional.ofNullable(initializers.get(valueName));
  }

  /** Returns the node that produces {@code valueName}, if any. */
  public Optional<Node> producer(String valueName) {
    for (Node n : nodes) {
      if (n.outputs().contains(valueName)) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  /** Returns a map from each value name to the node producing it. */
  public Map<String, Node> producers() {
    Map<String, Node> m = new HashMap<>();
    for (Node n : nodes) {
      for (String o : n.outputs()) {
        if (!o.isEmpty()) {
          m.put(o, n);
        }
      }
    }
    return m;
  }

  /** Returns a map from each value name to the nodes consuming it, in graph order. */
  public Map<String, List<Node>> consumers() {
    Map<String, List<Node>> m = new HashMap<>();
    for (Node n : nodes) {
      for (String i : n.inputs()) {
        if (!i.isEmpty()) {
          m.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
      }
    }
    return m;
  }

  /** Returns the nodes that read {@code valueName}. */
  public List<Node> consumers(String valueName) {
    return nodes.stream().filter(n -> n.inputs().contains(valueName)).toList();
  }

  /** Returns whether {@code valueName} is a graph output. */
  public boolean isOutput(String valueName) {
    return outputs.stream().anyMatch(v -> v.name().equals(valueName));
  }

  /** Returns the known type of a value (input, output, intermediate or initializer). */
  public Optional<TensorType> type(String valueName) {
    Tensor t = initializers.get(valueName);
    if (t != null) {
      return Optional.of(t.type());
    }
    for (Value v : inputs) {
      if (v.name().equals(valueName) && v.hasType()) {
        return Optional.of(v.type());
      }
    }
    for (Value v : outputs) {
      if (v.name().equals(valueName) && v.hasType()) {
        return Optional.of(v.type());
      }
    }
    Value v = valueInfo.get(valueName);
    return v == null || !v.hasType() ? Optional.empty() : Optional.of(v.type());
  }

  /** Returns the known shape of a value, if any. */
  public Optional<Shape> shape(String valueName) {
    return type(valueName).map(TensorType::shape);
  }

  /** Returns a histogram of operator types, most frequent first. */
  public Map<String, Integer> opHistogram() {
    Map<String, Integer> counts = new HashMap<>();
    for (Node n : nodes) {
      counts.merge(n.opType(), 1, Integer::sum);
    }
    Map<String, Integer> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Integer>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  /** Returns the total number of elements over all floating-point initializers. */
  public long parameterCount() {
    long n = 0;
    for (Tensor t : initializers.values()) {
      n += t.elementCount();
    }
    return n;
  }

  /** Returns the total size of all initializers in bytes. */
  public long weightBytes() {
    long n = 0;
    for (Tensor t : initializers.values()) {
      n += t.byteSize();
    }
    return n;
  }
}
