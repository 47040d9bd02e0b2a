package org.edgeopt.ingest.pass;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * Raises the default-domain opset to at least a minimum through the ONNX version converter.
 *
 * <p>Later stages (per-channel QDQ needs opset 13) rely on the minimum; a model already at or
 * above it is left alone, since converting down loses operators.
 */
public final class OpsetUpgrade implements GraphPass {
  private final int minimumOpset;

  /** Creates the pass for the given minimum opset. */
  public OpsetUpgrade(int minimumOpset) {
    this.minimumOpset = minimumOpset;
  }

  @Override
  public String name() {
    return "opset-upgrade";
  }

  @Override
  public PassResult apply(Graph graph, String where) throws EdgeoptException {
    long from = graph.opset();
    if (from >= minimumOpset) {
      return new PassResult(
          graph, false, name() + ": opset " + from + " kept (at least " + minimumOpset + ")");
    }
    Graph g = OnnxChecker.convertOpset(graph, minimumOpset, where);
    return new PassResult(
        g, true, name() + ": opset " + from + " -> " + g.opset() + " (ONNX version converter)");
  }
}
