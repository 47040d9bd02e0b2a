package org.edgeopt.compile.tensorrt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Checks any QDQ model against the rules TensorRT needs to build it as intended, without
 * TensorRT: a static check that runs anywhere.
 *
 * <p>Rules, by id:
 * <ul>
 *   <li>{@code int8}: every Q/DQ zero point is an explicit int8 initializer (an absent zero point
 *       means uint8 in ONNX, which TensorRT does not run);
 *   <li>{@code symmetric}: every zero point is 0;
 *   <li>{@code activation-per-tensor}: activation Q nodes use one constant scale;
 *   <li>{@code weight-per-channel}: weights are dequantized per output channel, on the output-channel axis;
 *   <li>{@code weighted-inputs}: a weighted layer has both its data input and its weight quantized, or neither;
 *   <li>{@code weighted-output}: a weighted layer's output is quantized only as the input of another
 *       weighted layer or of a residual Add;
 *   <li>{@code residual-add}: an Add after an int8 weighted layer gets its other (residual) input
 *       from a DequantizeLinear, so TensorRT fuses the add;
 *   <li>{@code qdq-pair}: a QuantizeLinear feeds only DequantizeLinear nodes with the same scale and zero point;
 *   <li>{@code opset}: per-channel DequantizeLinear needs opset 13 or later.
 * </ul>
 */
public final class TensorRtQdqChecker {
  private TensorRtQdqChecker() {}

  /** Checks {@code g}; returns every violation with the node that causes it. */
  public static QdqPlacementReport check(Graph g) {
    Map<String, Node> producers = g.producers();
    Map<String, List<Node>> consumers = g.consumers();
    List<QdqPlacementReport.Violation> v = new ArrayList<>();
    List<String> int8Layers = new ArrayList<>();
    List<String> floatLayers = new ArrayList<>();
    java.util.Set<String> int8Names = new java.util.HashSet<>();

    for (Node n : g.nodes()) {
      if (WeightedLayers.isWeighted(n)) {
        boolean data = fromDq(producers, n.input(0));
        boolean weight = fromDq(producers, n.input(1));
        if (data && weight) {
          int8Layers.add(n.name());
          int8Names.add(n.name());
        } else if (!data && !weight) {
          floatLayers.add(n.name());
        } else {
          v.add(
              violation(
                  "weighted-inputs",
                  n,
                  n.describe()
                      + ": expected both the data input and the weight quantized"
                      + " (or neither), found only the "
                      + (data ? "data input '" + n.input(0) + "'" : "weight '" + n.input(1) + "'")
                      + "; TensorRT then runs the layer in float"));
        }
      }
    }

    for (Node n : g.nodes()) {
      boolean q = QdqStripper.isQ(n);
      boolean dq = QdqStripper.isDq(n);
      if (!q && !dq) {
        if (n.opType().equals("Add") && n.domain().isEmpty() && n.inputs().size() == 2) {
          residualAdd(g, n, producers, int8Names, v);
        }
        continue;
      }
      zeroPoint(g, n, v);
      Tensor scale = g.initializers().get(n.input(1));
      if (scale == null) {
        v.add(
            violation(
                "activation-per-tensor",
                n,
                n.describe()
                    + ": expected a constant scale initializer, found computed '"
                    + n.input(1)
                    + "'"));
        continue;
      }
      boolean constantInput = g.initializers().containsKey(n.input(0));
      if (q && !constantInput) {
        if (scale.elementCount() != 1) {
          v.add(
              violation(
                  "activation-per-tensor",
                  n,
                  n.describe()
                      + " quantizes activation '"
                      + n.input(0)
                      + "' with "
                      + scale.elementCount()
                      + " scales: expected one per-tensor scale"));
        }
        qdqPairs(g, n, consumers, v);
        weightedOutput(n, producers, consumers, int8Names, v);
      }
      if (dq && constantInput) {
        weightPerChannel(g, n, consumers, v);
      }
      if (dq && scale.elementCount() > 1 && g.opset() < 13) {
        v.add(
            violation(
                "opset",
                n,
                n.describe() + " is per channel: expected opset 13 or later, found " + g.opset()));
      }
    }
    return new QdqPlacementReport(v, int8Layers, floatLayers);
  }

  private static QdqPlacementReport.Violation violation(String rule, Node n, String message) {
    return new QdqPlacementReport.Violation(rule, n.name(), message);
  }

  private static boolean fromDq(Map<String, Node> producers, String value) {
    Node p = producers.get(value);
    return p != null && QdqStripper.isDq(p);
  }

  private static void zeroPoint(Graph g, Node n, List<QdqPlacementReport.Violation> v) {
    if (n.input(2).isEmpty()) {
      v.add(
          violation(
              "int8",
              n,
              n.describe()
                  + " has no zero point, which ONNX reads as uint8: expected an int8 zero point of 0"));
      return;
    }
    Tensor zp = g.initializers().get(n.input(2));
    if (zp == null) {
      v.add(
          violation(
              "int8",
              n,
              n.describe()
                  + ": expected a constant int8 zero point, found computed '"
                  + n.input(2)
                  + "'"));
      return;
    }
    if (zp.dataType() == DataType.INT32) {
      v.add(
          violation(
              "int8",
              n,
              n.describe()
                  + " dequantizes an int32 tensor (a quantized bias): expected int8 only,"
                  + " TensorRT takes biases in float"));
      return;
    }
    if (zp.dataType() != DataType.INT8) {
      v.add(
          violation(
              "int8",
              n,
              n.describe()
                  + ": expected an int8 zero point, found "
                  + zp.dataType()
                  + " '"
                  + zp.name()
                  + "'"));
    }
    float[] z = zp.toFloats();
    for (float x : z) {
      if (x != 0) {
        v.add(
            violation(
                "symmetric",
                n,
                n.describe()
                    + ": expected zero point 0 (TensorRT quantizes symmetrically), found "
                    + (z.length == 1
                        ? Float.toString(x)
                        : "non-zero values in '" + zp.name() + "'")));
        return;
      }
    }
  }

  private static void qdqPairs(
      Graph g, Node q, Map<String, List<Node>> consumers, List<QdqPlacementReport.Violation> v) {
    for (Node c : consumers.getOrDefault(q.output(), List.of())) {
      if (!QdqStripper.isDq(c)) {
        v.add(
            violation(
                "qdq-pair",
                q,
                q.describe()
                    + " feeds "
                    + c.describe()
                    + ": expected only DequantizeLinear consumers"));
      } else if (!sameValues(g, q.input(1), c.input(1)) || !sameValues(g, q.input(2), c.input(2))) {
        v.add(
            violation(
                "qdq-pair",
                q,
                q.describe()
                    + " and "
                    + c.describe()
                    + " use different scales or zero points: expected one quantization per tensor"));
      }
    }
  }

  private static boolean sameValues(Graph g, String a, String b) {
    if (a.equals(b)) {
      return true;
    }
    Tensor x = g.initializers().get(a);
    Tensor y = g.initializers().get(b);
    return x != null
        && y != null
        && x.dataType() == y.dataType()
        && Arrays.equals(x.toFloats(), y.toFloats());
  }

  private static void weightedOutput(
      Node q,
      Map<String, Node> producers,
      Map<String, List<Node>> consumers,
      java.util.Set<String> int8Names,
      List<QdqPlacementReport.Violation> v) {
    Optional<Node> layer = WeightedLayers.weightedProducer(producers, q.input(0));
    if (layer.isEmpty()) {
      return;
    }
    for (Node dq : consumers.getOrDefault(q.output(), List.of())) {
      for (Node c : consumers.getOrDefault(dq.output(), List.of())) {
        boolean nextWeighted = WeightedLayers.isWeighted(c) && c.input(0).equals(dq.output());
        // Quantized as an Add input, it must be the residual: the Add's other input then comes
        // from an int8 weighted layer, into which TensorRT fuses the add.
        boolean add =
            c.opType().equals("Add")
                && c.domain().isEmpty()
                && c.inputs().size() == 2
                && WeightedLayers.weightedProducer(
                        producers, c.input(c.input(0).equals(dq.output()) ? 1 : 0))
                    .filter(p -> int8Names.contains(p.name()))
                    .isPresent();
        if (!nextWeighted && !add) {
          v.add(
              violation(
                  "weighted-output",
                  q,
                  q.describe()
                      + " quantizes the output of "
                      + layer.get().describe()
                      + " for "
                      + c.describe()
                      + ": expected weighted-layer outputs kept in high precision unless the next layer"
                      + " is weighted or a residual Add"));
        }
      }
    }
  }

  private static void weightPerChannel(
      Graph g, Node dq, Map<String, List<Node>> consumers, List<QdqPlacementReport.Violation> v) {
    Tensor w = g.initializers().get(dq.input(0));
    Tensor scale = g.initializers().get(dq.input(1));
    for (Node c : consumers.getOrDefault(dq.output(), List.of())) {
      if (!WeightedLayers.isWeighted(c) || !c.input(1).equals(dq.output())) {
        continue;
      }
      int axis = WeightedLayers.outputChannelAxis(c, w.rank());
      long channels = w.dim(axis);
      long declared = dq.intAttr("axis", 1);
      if (declared < 0) {
        declared += w.rank();
      }
      if (channels > 1 && (scale.elementCount() != channels || declared != axis)) {
        v.add(
            violation(
                "weight-per-channel",
                dq,
                dq.describe()
                    + " dequantizes weight '"
                    + w.name()
                    + "' of "
                    + c.describe()
                    + " with "
                    + scale.elementCount()
                    + " scale(s) on axis "
                    + declared
                    + ": expected "
                    + channels
                    + " scales on the output-channel axis "
                    + axis));
      }
    }
  }

  private static void residualAdd(
      Graph g,
      Node add,
      Map<String, Node> producers,
      java.util.Set<String> int8Names,
      List<QdqPlacementReport.Violation> v) {
    String a = add.input(0);
    String b = add.input(1);
    if (g.initializers().containsKey(a) || g.initializers().containsKey(b)) {
      return;
    }
    Optional<Node> pa =
        WeightedLayers.weightedProducer(producers, a).filter(p -> int8Names.contains(p.name()));
    Optional<Node> pb =
        WeightedLayers.weightedProducer(producers, b).filter(p -> int8Names.contains(p.name()));
    boolean qa = fromDq(producers, a);
    boolean qb = fromDq(producers, b);
    if (pa.isPresent() && pb.isEmpty() && !qb) {
      v.add(
          violation(
              "residual-add",
              add,
              add.describe()
                  + ": expected the residual input '"
                  + b
                  + "' from a DequantizeLinear so TensorRT fuses the add into "
                  + pa.get().describe()
                  + ", found float"));
    } else if (pb.isPresent() && pa.isEmpty() && !qa) {
      v.add(
          violation(
              "residual-add",
              add,
              add.describe()
                  + ": expected the residual input '"
                  + a
                  + "' from a DequantizeLinear so TensorRT fuses the add into "
                  + pb.get().describe()
                  + ", found float"));
    } else if (pa.isPresent() && pb.isPresent() && !qa && !qb) {
      v.add(
          violation(
              "residual-add",
              add,
              add.describe()
                  + ": both inputs come from int8 layers ("
                  + pa.get().describe()
                  + ", "
                  + pb.get().describe()
                  + "): expected one of them quantized so the add fuses"));
    }
  }
}
