package org.edgeopt.core.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Folds each inference-mode {@code BatchNormalization} into the {@code Conv} before it; ingest
 * and the quantizer both use it.
 *
 * <p>With {@code f = scale / sqrt(var + epsilon)} per output channel, the folded convolution has
 * weights {@code W * f} and bias {@code (b - mean) * f + B}; the arithmetic is done in double
 * and rounded once to float. A fold is made only when the Conv output feeds nothing but the
 * BatchNormalization (and is not a graph output), the BatchNormalization's extra outputs are
 * unused, and every parameter is a float initializer. Folded weights always get new
 * initializers, so weights shared with another node are never changed under it.
 */
public final class BatchNormFolding {
  private BatchNormFolding() {}

  /**
   * The outcome of folding.
   *
   * @param graph the graph with the folds made (the same instance when none was possible)
   * @param folded one line per fold, e.g. {@code BatchNormalization 'bn1' into Conv 'conv1'}
   * @param kept how many BatchNormalization nodes could not be folded
   * @param foldedWeights the names of the original weight initializers whose values were replaced
   */
  public record Result(Graph graph, List<String> folded, int kept, List<String> foldedWeights) {
    public Result {
      folded = List.copyOf(folded);
      foldedWeights = List.copyOf(foldedWeights);
    }
  }

  /** Folds every BatchNormalization that can be folded. */
  public static Result fold(Graph g) {
    Map<String, List<Node>> readers = g.consumers();
    Map<String, Node> producers = g.producers();
    GraphBuilder b = g.toBuilder();
    List<String> folded = new ArrayList<>();
    List<String> foldedWeights = new ArrayList<>();
    int kept = 0;
    for (Node bn : g.nodes()) {
      if (!bn.opType().equals("BatchNormalization") || !bn.domain().isEmpty()) {
        continue;
      }
      Node conv = producers.get(bn.input(0));
      Tensor[] p = conv == null ? null : parameters(g, readers, conv, bn);
      if (p == null) {
        kept++;
        continue;
      }
      Tensor w = p[0];
      int cout = (int) w.dim(0);
      float[] wv = w.toFloats();
      float[] bv = p[1] == null ? new float[cout] : p[1].toFloats();
      float[] scale = p[2].toFloats();
      float[] shift = p[3].toFloats();
      float[] mean = p[4].toFloats();
      float[] var = p[5].toFloats();
      double eps = bn.floatAttr("epsilon", 1e-5f);
      int per = wv.length / cout;
      float[] newB = new float[cout];
      for (int c = 0; c < cout; c++) {
        double factor = scale[c] / Math.sqrt((double) var[c] + eps);
        for (int k = 0; k < per; k++) {
          wv[c * per + k] = (float) (wv[c * per + k] * factor);
        }
        newB[c] = (float) ((bv[c] - (double) mean[c]) * factor + shift[c]);
      }
      String wName = b.uniqueName(w.name() + "_bnfold");
      String bName = b.uniqueName((p[1] != null ? p[1].name() : conv.name() + ".bias") + "_bnfold");
      b.addInitializer(Tensor.ofFloats(wName, w.dims(), wv));
      b.addInitializer(Tensor.ofFloats(bName, new long[] {cout}, newB));
      b.replaceNode(
          new Node(
              conv.name(),
              conv.opType(),
              conv.domain(),
              List.of(conv.input(0), wName, bName),
              List.of(bn.output()),
              conv.attributes()));
      b.removeNode(bn.name());
      folded.add(bn.describe() + " into " + conv.describe());
      foldedWeights.add(w.name());
    }
    return new Result(folded.isEmpty() ? g : b.removeUnused().build(), folded, kept, foldedWeights);
  }

  /** Returns {weight, bias or null, scale, shift, mean, var} when the pair can be folded, else null. */
  private static Tensor[] parameters(Graph g, Map<String, List<Node>> readers, Node conv, Node bn) {
    if (!conv.opType().equals("Conv")
        || !conv.domain().isEmpty()
        || conv.name().isEmpty()
        || bn.name().isEmpty()) {
      return null;
    }
    String x = bn.input(0);
    if (g.isOutput(x)
        || readers.getOrDefault(x, List.of()).size() != 1
        || conv.outputs().size() != 1) {
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
    Tensor bias = floatInit(g, conv.input(2));
    if (!conv.input(2).isEmpty() && (bias == null || bias.elementCount() != cout)) {
      return null;
    }
    Tensor[] p = {w, bias, null, null, null, null};
    for (int i = 0; i < 4; i++) {
      p[i + 2] = floatInit(g, bn.input(i + 1));
      if (p[i + 2] == null || p[i + 2].elementCount() != cout) {
        return null;
      }
    }
    return p;
  }

  private static Tensor floatInit(Graph g, String name) {
    Tensor t = name.isEmpty() ? null : g.initializers().get(name);
    return t != null && t.dataType() == DataType.FLOAT ? t : null;
  }
}
