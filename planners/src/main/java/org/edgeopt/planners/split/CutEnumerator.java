package org.edgeopt.planners.split;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Value;

/**
 * Lists the valid cuts of a graph: every set of compute nodes closed under producers (an ideal of
 * the graph), deduplicated by the tensors it sends.
 *
 * <p>An ideal's results and the model inputs are all the device has; those a server node reads
 * are exactly what the server needs, so the set separates the inputs from the outputs. Weights are
 * never sent, as each part carries its own; nor are constants computed from weights alone (a
 * {@code Constant} node, a {@code Shape} of a weight): they are left out of the ideals and each
 * part recomputes those it reads. Graph outputs produced on the edge stay there (the application
 * runs there). Two ideals that send the same tensors differ only by edge nodes nobody on the
 * server reads; the smaller is kept.
 *
 * <p>Ideals are enumerated by a depth-first walk over the nodes in topological order, each node
 * in or out, a node in only when its producers are: every leaf is a distinct ideal, so the work is
 * at most the number of ideals times the number of nodes. A chain has one ideal per position; a
 * fork of two branches of a and b nodes has (a+1)(b+1). Wide graphs (Inception-style modules, many
 * inputs) can have exponentially many: past {@link #MAX_IDEALS} the walk stops and the cuts of the
 * topological order alone are listed, and {@link CutEnumeration#complete()} says so.
 */
public final class CutEnumerator {
  /** The most predecessor-closed node sets enumerated before falling back to the topological order. */
  public static final int MAX_IDEALS = 5000;

  private CutEnumerator() {}

  /** Returns the cuts of {@code g}, with the default cap {@link #MAX_IDEALS}. */
  public static CutEnumeration enumerate(Graph g) {
    return enumerate(g, MAX_IDEALS);
  }

  /** Returns the cuts of {@code g}: every ideal, or the prefixes of the order past {@code cap} ideals. */
  public static CutEnumeration enumerate(Graph g, int cap) {
    Structure s = new Structure(g);
    List<BitSet> ideals = ideals(s, cap);
    boolean complete = ideals != null;
    long counted = complete ? ideals.size() : (long) cap + 1;
    if (!complete) {
      ideals = new ArrayList<>();
      BitSet prefix = new BitSet();
      ideals.add((BitSet) prefix.clone());
      for (int i = 0; i < s.compute.size(); i++) {
        prefix.set(i);
        ideals.add((BitSet) prefix.clone());
      }
    }
    ideals.sort(Comparator.comparingInt(BitSet::cardinality).thenComparing(CutEnumerator::lexical));
    Map<List<String>, Cut> byTensors = new LinkedHashMap<>();
    for (BitSet ideal : ideals) {
      Cut c = s.cut(ideal);
      // The smallest edge part first: a larger one sending the same tensors only adds edge work.
      byTensors.putIfAbsent(c.tensors(), c);
    }
    List<Cut> cuts = new ArrayList<>(byTensors.values());
    cuts.sort(
        Comparator.comparingInt((Cut c) -> c.edgeNodes().size())
            .thenComparing(c -> toBits(c.edgeNodes()), CutEnumerator::lexical));
    return new CutEnumeration(cuts, complete, counted);
  }

  /** Returns every ideal of the compute nodes, or null when there are more than {@code cap}. */
  private static List<BitSet> ideals(Structure s, int cap) {
    int n = s.compute.size();
    List<BitSet> out = new ArrayList<>();
    // Iterative, not recursive: a deep model must not overflow the stack.
    Deque<Object[]> todo = new ArrayDeque<>();
    todo.push(new Object[] {0, new BitSet(n)});
    while (!todo.isEmpty()) {
      Object[] top = todo.pop();
      int i = (Integer) top[0];
      BitSet in = (BitSet) top[1];
      while (i < n && !contains(in, s.producers[i])) {
        i++;
      }
      if (i == n) {
        if (out.size() == cap) {
          return null;
        }
        out.add(in);
        continue;
      }
      BitSet with = (BitSet) in.clone();
      with.set(i);
      todo.push(new Object[] {i + 1, in});
      todo.push(new Object[] {i + 1, with});
    }
    return out;
  }

  private static boolean contains(BitSet set, BitSet subset) {
    BitSet missing = (BitSet) subset.clone();
    missing.andNot(set);
    return missing.isEmpty();
  }

  /** Orders sets by their lowest differing member: the set holding it first. */
  private static int lexical(BitSet a, BitSet b) {
    BitSet diff = (BitSet) a.clone();
    diff.xor(b);
    int first = diff.nextSetBit(0);
    return first < 0 ? 0 : a.get(first) ? -1 : 1;
  }

  private static BitSet toBits(List<Integer> members) {
    BitSet b = new BitSet();
    members.forEach(b::set);
    return b;
  }

  /** The compute nodes of a graph, their producers among them, and who reads each value. */
  private static final class Structure {
    final Graph g;
    final List<Integer> compute = new ArrayList<>();
    final BitSet[] producers;

    /** Values the device may hold (inputs, compute nodes' results), in graph order, by producer (-1: a model input). */
    final Map<String, Integer> producedBy = new LinkedHashMap<>();

    /** For each such value, the compute nodes (as compute indices) that read it. */
    final Map<String, BitSet> readers = new HashMap<>();

    Structure(Graph g) {
      this.g = g;
      Set<String> constant = constantValues(g);
      List<Node> nodes = g.nodes();
      for (Value v : g.inputs()) {
        if (!g.initializers().containsKey(v.name())) {
          producedBy.put(v.name(), -1);
        }
      }
      for (int i = 0; i < nodes.size(); i++) {
        if (!isConstant(nodes.get(i), constant)) {
          for (String o : nodes.get(i).outputs()) {
            if (!o.isEmpty()) {
              producedBy.put(o, compute.size());
            }
          }
          compute.add(i);
        }
      }
      producers = new BitSet[compute.size()];
      for (int c = 0; c < compute.size(); c++) {
        producers[c] = new BitSet();
        for (String in : nodes.get(compute.get(c)).inputs()) {
          Integer p = producedBy.get(in);
          if (p != null) {
            readers.computeIfAbsent(in, k -> new BitSet()).set(c);
            if (p >= 0) {
              producers[c].set(p);
            }
          }
        }
      }
    }

    /** Returns the cut that runs {@code ideal} (compute indices) on the edge. */
    Cut cut(BitSet ideal) {
      List<String> sent = new ArrayList<>();
      producedBy.forEach(
          (v, p) -> {
            BitSet r = readers.get(v);
            if ((p < 0 || ideal.get(p)) && r != null && !contains(ideal, r)) {
              sent.add(v);
            }
          });
      List<Integer> edge = new ArrayList<>();
      List<String> frontier = new ArrayList<>();
      for (int c = ideal.nextSetBit(0); c >= 0; c = ideal.nextSetBit(c + 1)) {
        int at = compute.get(c);
        edge.add(at);
        boolean last = true;
        for (String o : g.nodes().get(at).outputs()) {
          BitSet r = readers.get(o);
          last &= r == null || !r.intersects(ideal);
        }
        if (last) {
          frontier.add(name(g.nodes().get(at), at));
        }
      }
      return new Cut(edge, compute.size(), sent, frontier);
    }
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

  /** Returns the nodes of {@code g} that run on the edge for {@code cut}, with the constant nodes they read. */
  static List<Node> edgeNodes(Graph g, Cut cut) {
    return withConstants(g, new HashSet<>(cut.edgeNodes()));
  }

  /**
   * Returns the nodes of {@code g} that run on the server for {@code cut}: the other compute
   * nodes, with copies of the constant nodes they read.
   */
  static List<Node> serverNodes(Graph g, Cut cut) {
    Set<String> constant = constantValues(g);
    Set<Integer> edge = new HashSet<>(cut.edgeNodes());
    Set<Integer> rest = new HashSet<>();
    for (int i = 0; i < g.nodes().size(); i++) {
      if (!edge.contains(i) && !isConstant(g.nodes().get(i), constant)) {
        rest.add(i);
      }
    }
    return withConstants(g, rest);
  }

  /** Returns the nodes at {@code chosen} plus the constant nodes they read, directly or not, in graph order. */
  private static List<Node> withConstants(Graph g, Set<Integer> chosen) {
    Set<String> constant = constantValues(g);
    List<Node> nodes = g.nodes();
    Set<String> needed = new HashSet<>();
    boolean[] keep = new boolean[nodes.size()];
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      keep[i] =
          chosen.contains(i)
              || (isConstant(n, constant) && n.outputs().stream().anyMatch(needed::contains));
      if (keep[i]) {
        needed.addAll(n.inputs());
      }
    }
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (keep[i]) {
        out.add(nodes.get(i));
      }
    }
    return out;
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
