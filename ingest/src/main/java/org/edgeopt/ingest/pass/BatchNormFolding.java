package org.edgeopt.ingest.pass;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Folds each inference-mode {@code BatchNormalization} into the {@code Conv} before it.
 *
 * <p>With {@code f = scale / sqrt(var + epsilon)} per output channel, the folded convolution has
 * weights {@code W * f} and bias {@code (b - mean) * f + B}; the arithmetic is done in double
 * and rounded once to float. A fold is made only when the Conv output feeds nothing but the
 * BatchNormalization (and is not a graph output) and every parameter is a float initializer;
 * weights shared with another node get a new initializer rather than being changed under it.
 */
public final class BatchNormFolding implements GraphPass {

  @Override
  public String name() {
    return "batchnorm-folding";
  }

  @Override
  public PassResult apply(Graph graph, String where) {
    Map<String, List<Node>> readers = graph.consumers();
    Map<String, Node> producers = graph.producers();
    List<Node> nodes = new ArrayList<>(graph.nodes());
    GraphBuilder scratch = graph.toBuilder();
    Set<String> removed = new HashSet<>();
    int folded = 0;
    int skipped = 0;
    for (Node bn : graph.nodes()) {
      if (!bn.opType().equals("BatchNormalization") || !bn.domain().isEmpty()) {
        continue;
      }
      Node conv = producers.get(bn.input(0));
      Fold f = conv == null ? null : plan(graph, readers, conv, bn);
      if (f == null) {
        skipped++;
        continue;
      }
      Tensor w = graph.initializers().get(conv.input(1));
      Tensor bias = conv.input(2).isEmpty() ? null : graph.initializers().get(conv.input(2));
      int cout = (int) w.dim(0);
      float[] wv = w.toFloats();
      float[] bv = bias == null ? new float[cout] : bias.toFloats();
      int per = wv.length / cout;
      float[] newW = new float[wv.length];
      float[] newB = new float[cout];
      for (int c = 0; c < cout; c++) {
        double factor = f.scale[c] / Math.sqrt((double) f.var[c] + f.epsilon);
        for (int k = 0; k < per; k++) {
          newW[c * per + k] = (float) (wv[c * per + k] * factor);
        }
        newB[c] = (float) ((bv[c] - (double) f.mean[c]) * factor + f.shift[c]);
      }
      String wName = soleReader(readers, w.name()) ? w.name() : scratch.uniqueName(w.name() + "_bnfold");
      String bName = bias != null && soleReader(readers, bias.name()) ? bias.name()
          : scratch.uniqueName((bias != null ? bias.name() : conv.name() + ".bias") + "_bnfold");
      scratch.addInitializer(Tensor.ofFloats(wName, w.dims(), newW));
      scratch.addInitializer(Tensor.ofFloats(bName, new long[] {cout}, newB));
      Node fused = new Node(conv.name(), conv.opType(), conv.domain(), List.of(conv.input(0), wName, bName),
          List.of(bn.output()), conv.attributes());
      nodes.set(indexOf(nodes, conv), fused);
      removed.add(bn.name());
      folded++;
    }
    if (folded == 0) {
      return new PassResult(graph, false, name() + ": no foldable BatchNormalization"
          + (skipped > 0 ? " (" + skipped + " kept: not after a Conv with constant weights and a sole reader)" : ""));
    }
    nodes.removeIf(n -> removed.contains(n.name()));
    GraphBuilder b = GraphCopies.withoutNodes(graph);
    scratch.initializers().values().forEach(b::addInitializer);
    nodes.forEach(b::addNode);
    b.removeUnused();
    return new PassResult(b.build(), true, name() + ": folded " + folded + " BatchNormalization into Conv"
        + (skipped > 0 ? " (" + skipped + " kept)" : ""));
  }

  /** The parameters of one fold. */
  private record Fold(float[] scale, float[] shift, float[] mean, float[] var, double epsilon) {}

  private static Fold plan(Graph g, Map<String, List<Node>> readers, Node conv, Node bn) {
    if (!conv.opType().equals("Conv") || !conv.domain().isEmpty() || conv.name().isEmpty() || bn.name().isEmpty()) {
      return null;
    }
    String x = bn.input(0);
    if (g.isOutput(x) || readers.getOrDefault(x, List.of()).size() != 1 || conv.outputs().size() != 1) {
      return null;
    }
    if (bn.intAttr("training_mode", 0) != 0 || bn.intAttr("spatial", 1) != 1) {
      return null;
    }
    for (int i = 1; i < bn.outputs().size(); i++) {
      String extra = bn.outputs().get(i);
      if (!extra.isEmpty() && (g.isOutput(extra) || readers.containsKey(extra))) {
        return null;
      }
    }
    Tensor w = floatInit(g, conv.input(1));
    if (w == null || w.rank() < 3) {
      return null;
    }
    long cout = w.dim(0);
    if (!conv.input(2).isEmpty() && !isVector(floatInit(g, conv.input(2)), cout)) {
      return null;
    }
    Tensor[] p = new Tensor[4];
    for (int i = 0; i < 4; i++) {
      p[i] = floatInit(g, bn.input(i + 1));
      if (!isVector(p[i], cout)) {
        return null;
      }
    }
    return new Fold(p[0].toFloats(), p[1].toFloats(), p[2].toFloats(), p[3].toFloats(), bn.floatAttr("epsilon", 1e-5f));
  }

  private static Tensor floatInit(Graph g, String name) {
    Tensor t = name.isEmpty() ? null : g.initializers().get(name);
    return t != null && t.dataType() == DataType.FLOAT ? t : null;
  }

  private static boolean isVector(Tensor t, long n) {
    return t != null && t.elementCount() == n;
  }

  private static boolean soleReader(Map<String, List<Node>> readers, String value) {
    return readers.getOrDefault(value, List.of()).size() == 1;
  }

  private static int indexOf(List<Node> nodes, Node n) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).name().equals(n.name())) {
        return i;
      }
    }
    throw new IllegalStateException("node " + n.describe() + " vanished while folding");
  }
}
