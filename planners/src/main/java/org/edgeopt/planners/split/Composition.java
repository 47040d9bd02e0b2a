package org.edgeopt.planners.split;

import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;

/**
 * Runs an edge part then a server part the way a deployment does: the edge part gets the model
 * inputs it reads, the device sends the cut tensors (the edge part's wire outputs, and the model
 * inputs the server reads, encoded alike), and the model's outputs are taken from whichever part
 * produced them.
 */
public final class Composition {
  private Composition() {}

  /**
   * Returns the model outputs of {@code edge} (null for cloud-only) then {@code server} (null for
   * edge-only) on {@code inputs}, by output name.
   */
  public static Map<String, Tensor> run(
      InferenceSession edge,
      InferenceSession server,
      Cut cut,
      Map<String, Tensor> inputs,
      WireFormat format,
      Map<String, QuantParams> ranges)
      throws EdgeoptException {
    Map<String, Tensor> edgeOut = edge == null ? Map.of() : edge.run(readBy(edge, inputs));
    Map<String, Tensor> out = new LinkedHashMap<>(edgeOut);
    if (server != null) {
      out.putAll(server.run(sent(cut, inputs, edgeOut, format, ranges)));
    }
    return out;
  }

  /**
   * Returns the inputs among {@code inputs} that {@code part} takes; all of them when it names
   * its inputs otherwise (a compiled artifact whose runtime maps the model's names itself).
   */
  public static Map<String, Tensor> readBy(InferenceSession part, Map<String, Tensor> inputs) {
    if (!inputs.keySet().containsAll(part.inputNames())) {
      return inputs;
    }
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (String name : part.inputNames()) {
      in.put(name, inputs.get(name));
    }
    return in;
  }

  /** Returns what crosses the link, by wire name: the edge part's wire outputs and the model inputs the server reads, encoded. */
  public static Map<String, Tensor> sent(
      Cut cut,
      Map<String, Tensor> inputs,
      Map<String, Tensor> edgeOut,
      WireFormat format,
      Map<String, QuantParams> ranges) {
    Map<String, Tensor> sent = new LinkedHashMap<>();
    for (String t : cut.tensors()) {
      String wire = GraphSplitter.wireName(t, format);
      sent.put(
          wire,
          inputs.containsKey(t)
              ? WireCodec.toWire(inputs.get(t), format, ranges.get(t)).withName(wire)
              : edgeOut.get(wire));
    }
    return sent;
  }
}
