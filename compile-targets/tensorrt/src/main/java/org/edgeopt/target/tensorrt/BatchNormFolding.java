package org.edgeopt.target.tensorrt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Folds each BatchNormalization that directly follows a Conv into the Conv's weights and bias.
 *
 * <p>TensorRT folds them itself when it builds, but the int8 weights must be quantized after
 * folding: per-channel scales of the unfolded weights would be wrong by the BN factor.
 */
final class BatchNormFolding {
  private BatchNormFolding() {}

  /**
   * Returns {@code g} with Conv+BatchNormalization pairs folded; {@code changedWeight} hears the
   * name of every weight initializer whose values changed.
   */
  static Graph fold(Graph g, Consumer<String> changedWeight) {
    Map<String, List<Node>> consumers = g.consumers();
    Map<String, Node> producers = g.producers();
    GraphBuilder b = g.toBuilder();
    boolean changed = false;
    for (Node bn : g.nodes()) {
      if (!bn.opType().equals("BatchNormalization") || !bn.domain().isEmpty()
          || bn.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
        continue;
      }
      Node conv = producers.get(bn.input(0));
      // Unnamed nodes cannot be edited by name; they keep their BatchNormalization.
      if (conv == null || !conv.opType().equals("Conv") || !conv.domain().isEmpty()
          || conv.name().isEmpty() || bn.name().isEmpty()
          || consumers.getOrDefault(conv.output(), List.of()).size() != 1 || g.isOutput(conv.output())) {
        continue;
      }
      Tensor w = g.initializers().get(conv.input(1));
      Tensor bias = conv.input(2).isEmpty() ? null : g.initializers().get(conv.input(2));
      Tensor[] p = new Tensor[4];
      for (int i = 0; i < 4; i++) {
        p[i] = g.initializers().get(bn.input(i + 1));
      }
      if (w == null || !w.dataType().isFloat() || (!conv.input(2).isEmpty() && bias == null)
          || java.util.Arrays.stream(p).anyMatch(t -> t == null)) {
        continue;
      }
      float eps = bn.floatAttr("epsilon", 1e-5f);
      float[] gamma = p[0].toFloats();
      float[] beta = p[1].toFloats();
      float[] mean = p[2].toFloats();
      float[] var = p[3].toFloats();
      long[] dims = w.dims();
      int out = (int) dims[0];
      int per = (int) (w.elementCount() / out);
      float[] wv = w.toFloats();
      float[] bv = bias == null ? new float[out] : bias.toFloats();
      float[] fb = new float[out];
      for (int o = 0; o < out; o++) {
        double f = gamma[o] / Math.sqrt(var[o] + (double) eps);
        for (int i = 0; i < per; i++) {
          wv[o * per + i] = (float) (wv[o * per + i] * f);
        }
        fb[o] = (float) ((bv[o] - mean[o]) * f + beta[o]);
      }
      String wName = b.uniqueName(conv.input(1) + "_bn_folded");
      String bName = b.uniqueName((bias == null ? conv.input(1) + "_bias" : conv.input(2)) + "_bn_folded");
      b.addInitializer(Tensor.ofFloats(wName, dims, wv));
      b.addInitializer(Tensor.ofFloats(bName, new long[] {out}, fb));
      changedWeight.accept(conv.input(1));
      List<String> in = new ArrayList<>(List.of(conv.input(0), wName, bName));
      b.removeNode(bn.name());
      b.replaceNode(conv.withInputs(in).withOutputs(List.of(bn.output())));
      changed = true;
    }
    return changed ? b.removeUnused().build() : g;
  }
}
