package org.edgeopt.planners.split;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Value;

/**
 * Lists the valid cuts of a graph: one per position of its topological order.
 *
 * <p>Every prefix of a topological order is closed under producers, so the tensors that a prefix
 * produces (or takes as graph inputs) and that a later node reads are exactly what the server
 * needs: the set separates the inputs from the outputs. Weights are never sent, as each part
 * carries its own; nor are constants computed from weights alone (a {@code Constant} node, a
 * {@code Shape} of a weight), which the server part recomputes: a position just after such a node
 * is the same cut as the one before it and is not listed. Graph outputs produced on the edge stay
 * there (the application runs there).
 */
public final class CutEnumerator {
  private CutEnumerator() {}

  /** Returns the cuts of {@code g}, cloud-only first and edge-only last. */
  public static List<Cut> enumerate(Graph g) {
    List<Node> nodes = g.nodes();
    Map<String, List<Node>> consumers = g.consumers();
    Map<Node, Integer> index = new java.util.IdentityHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      index.put(nodes.get(i), i);
    }
    // Each value's last reader; a value whose last reader is at or after the position crosses it.
    Set<String> constant = constantValues(g);
    List<String> order = new ArrayList<>();
    Map<String, Integer> producedAt = new java.util.HashMap<>();
    for (Value v : g.inputs()) {
      if (!g.initializers().containsKey(v.name())) {
        order.add(v.name());
        producedAt.put(v.name(), -1);
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).outputs()) {
        if (!o.isEmpty() && !constant.contains(o)) {
          order.add(o);
          producedAt.put(o, i);
        }
      }
    }
    Map<String, Integer> lastRead = new java.util.HashMap<>();
    for (String v : order) {
      int last = -2;
      for (Node c : consumers.getOrDefault(v, List.of())) {
        last = Math.max(last, index.get(c));
      }
      lastRead.put(v, last);
    }
    List<Cut> cuts = new ArrayList<>(nodes.size() + 1);
    for (int p = 0; p <= nodes.size(); p++) {
      if (p > 0 && p < nodes.size() && isConstant(nodes.get(p - 1), constant)) {
        continue;
      }
      List<String> crossing = new ArrayList<>();
      for (String v : order) {
        if (producedAt.get(v) < p && lastRead.get(v) >= p) {
          crossing.add(v);
        }
      }
      cuts.add(new Cut(p, nodes.size(), crossing, p == 0 ? "" : name(nodes.get(p - 1), p - 1)));
    }
    return cuts;
  }

  /** Returns the values computed from weights alone: outputs of nodes that read no graph input, directly or not. */
  static Set<String> constantValues(Graph g) {
    Set<String> constant = new HashSet<>(g.initializers().keySet());
    for (Node n : g.nodes()) {
      if (n.inputs().stream().allMatch(i -> i.isEmpty() || constant.contains(i))) {
        n.outputs().stream().filter(o -> !o.isEmpty()).forEach(constant::add);
      }
    }
    constant.removeAll(g.initializers().keySet());
    return constant;
  }

  private static boolean isConstant(Node n, Set<String> constant) {
    return n.outputs().stream().allMatch(o -> o.isEmpty() || constant.contains(o));
  }

  /** Returns the nodes of {@code g} that run on the edge for {@code cut}. */
  static List<Node> edgeNodes(Graph g, Cut cut) {
    return g.nodes().subList(0, cut.position());
  }

  /**
   * Returns the nodes of {@code g} that run on the server for {@code cut}: the remaining ones,
   * preceded by copies of the edge's constant nodes whose values they read.
   */
  static List<Node> serverNodes(Graph g, Cut cut) {
    List<Node> rest = g.nodes().subList(cut.position(), g.nodes().size());
    Set<String> constant = constantValues(g);
    Set<String> needed = new HashSet<>(externalInputs(rest));
    List<Node> copies = new ArrayList<>();
    for (int i = cut.position() - 1; i >= 0; i--) {
      Node n = g.nodes().get(i);
      if (isConstant(n, constant) && n.outputs().stream().anyMatch(needed::contains)) {
        copies.add(0, n);
        needed.addAll(n.inputs());
      }
    }
    if (copies.isEmpty()) {
      return rest;
    }
    List<Node> all = new ArrayList<>(copies);
    all.addAll(rest);
    return all;
  }

  /** Returns the values that the given nodes read and that no node among them produces. */
  static Set<String> externalInputs(List<Node> part) {
    Set<String> produced = new HashSet<>();
    part.forEach(n -> produced.addAll(n.outputs()));
    Set<String> ext = new LinkedHashSet<>();
    for (Node n : part) {
      for (String i : n.inputs()) {
        if (!i.isEmpty() && !produced.contains(i)) {
          ext.add(i);
        }
      }
    }
    return ext;
  }

  private static String name(Node n, int i) {
    return n.name().isEmpty() ? n.opType() + "#" + i : n.name();
  }
}
