package org.edgeopt.planners.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.junit.jupiter.api.Test;

/**
 * The cuts of small hand-built graphs whose predecessor-closed node sets are counted by hand, and
 * their parts run in ONNX Runtime against the whole graph, one input or two.
 */
class CutEnumeratorTest {
  static final TensorType T = TensorType.of(DataType.FLOAT, 2, 3);

  /**
   * x -> a=Relu -> (p=Neg(a) || q=Abs(a) -> r=Sigmoid(q)) -> y=Add(p, r). Ideals: {}, {Relu}, the
   * 2 x 3 states of the two branches once Relu ran, and all five: 8, every one sending other tensors.
   */
  static Graph diamond() {
    return new GraphBuilder("diamond", 17)
        .addInput(new Value("x", T))
        .addNode(Node.of("relu", "Relu", List.of("x"), List.of("a")))
        .addNode(Node.of("neg", "Neg", List.of("a"), List.of("p")))
        .addNode(Node.of("abs", "Abs", List.of("a"), List.of("q")))
        .addNode(Node.of("sigmoid", "Sigmoid", List.of("q"), List.of("r")))
        .addNode(Node.of("add", "Add", List.of("p", "r"), List.of("y")))
        .addOutput(new Value("y", T))
        .build();
  }

  /** A residual block, x -> c1=Relu -> c2=Mul(c1, k) -> y=Add(x, c2), k from a Constant node. */
  static Graph residual() {
    return new GraphBuilder("residual", 17)
        .addInput(new Value("x", T))
        .addNode(
            Node.of(
                "k",
                "Constant",
                List.of(),
                List.of("k"),
                Attribute.of("value", Tensor.scalar("k", 0.5f))))
        .addNode(Node.of("relu", "Relu", List.of("x"), List.of("c1")))
        .addNode(Node.of("mul", "Mul", List.of("c1", "k"), List.of("c2")))
        .addNode(Node.of("add", "Add", List.of("x", "c2"), List.of("y")))
        .addOutput(new Value("y", T))
        .build();
  }

  /** Two inputs, the second read only by the next-to-last node: x1 -> Relu -> Neg -> Add(., x2) -> Sigmoid. */
  static Graph twoInputs() {
    return new GraphBuilder("two_inputs", 17)
        .addInput(new Value("x1", T))
        .addInput(new Value("x2", T))
        .addNode(Node.of("relu", "Relu", List.of("x1"), List.of("a")))
        .addNode(Node.of("neg", "Neg", List.of("a"), List.of("b")))
        .addNode(Node.of("add", "Add", List.of("b", "x2"), List.of("c")))
        .addNode(Node.of("sigmoid", "Sigmoid", List.of("c"), List.of("y")))
        .addOutput(new Value("y", T))
        .build();
  }

  static List<List<String>> tensors(CutEnumeration e) {
    return e.cuts().stream().map(Cut::tensors).toList();
  }

  @Test
  void diamondHasEveryBranchCombinationAsACut() throws Exception {
    CutEnumeration e = CutEnumerator.enumerate(diamond());
    assertTrue(e.complete());
    assertEquals(8, e.nodeSets());
    assertEquals(
        List.of(
            List.of("x"),
            List.of("a"),
            List.of("a", "p"),
            List.of("a", "q"),
            List.of("p", "q"),
            List.of("a", "r"),
            List.of("p", "r"),
            List.of()),
        tensors(e));
    assertTrue(e.cuts().get(0).cloudOnly());
    assertTrue(e.cuts().get(7).edgeOnly());
    assertEquals("after neg + abs", e.cuts().get(4).label());
    assertEquals(List.of(0, 1, 2), e.cuts().get(4).edgeNodes());
    everyCutReproduces(diamond(), e);
  }

  @Test
  void aCutThroughASkipConnectionSendsBothTensorsAndConstantsAreRecomputed() throws Exception {
    CutEnumeration e = CutEnumerator.enumerate(residual());
    assertEquals(
        List.of(List.of("x"), List.of("x", "c1"), List.of("x", "c2"), List.of()), tensors(e));
    assertEquals(4, e.nodeSets(), "the Constant node is no cut of its own");
    Cut afterRelu = e.cuts().get(1);
    assertTrue(
        CutEnumerator.serverNodes(residual(), afterRelu).stream()
            .anyMatch(n -> n.opType().equals("Constant")),
        "the server recomputes the constant it reads");
    everyCutReproduces(residual(), e);
  }

  @Test
  void aSecondInputConsumedLateIsSentWithTheCut() throws Exception {
    Graph g = twoInputs();
    CutEnumeration e = CutEnumerator.enumerate(g);
    assertEquals(
        List.of(
            List.of("x1", "x2"), List.of("x2", "a"), List.of("x2", "b"), List.of("c"), List.of()),
        tensors(e));
    Graph edge = GraphSplitter.edgePart(g, e.cuts().get(2), WireFormat.FP32, Map.of());
    assertEquals(List.of("x1"), edge.inputs().stream().map(Value::name).toList());
    Graph typed = SplitPlanner.withShapes(g);
    long elements = 0;
    for (String t : e.cuts().get(2).tensors()) {
      elements += org.edgeopt.core.cost.LayerCosts.elements(typed, t);
    }
    assertEquals(12, elements, "the late input's bytes count with the cut's");
    everyCutReproduces(g, e);
  }

  @Test
  void pastTheCapOnlyTheTopologicalOrderIsListedAndSaidSo() {
    CutEnumeration capped = CutEnumerator.enumerate(diamond(), 5);
    assertFalse(capped.complete());
    assertEquals(
        List.of(
            List.of("x"),
            List.of("a"),
            List.of("a", "p"),
            List.of("p", "q"),
            List.of("p", "r"),
            List.of()),
        tensors(capped));
    assertTrue(capped.describe().contains("one topological order"), capped.describe());
    // Ten parallel branches of three nodes: 4^10 ideals, the walk stops after the cap.
    GraphBuilder b = new GraphBuilder("wide", 17).addInput(new Value("x", T));
    List<String> ends = new ArrayList<>();
    for (int br = 0; br < 10; br++) {
      String in = "x";
      for (int k = 0; k < 3; k++) {
        String out = "b" + br + "_" + k;
        b.addNode(Node.of(out, "Relu", List.of(in), List.of(out)));
        in = out;
      }
      ends.add(in);
    }
    b.addNode(Node.of("concat", "Concat", ends, List.of("y"), Attribute.of("axis", 1L)));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 2, 30)));
    CutEnumeration wide = CutEnumerator.enumerate(b.build());
    assertFalse(wide.complete());
    assertEquals(CutEnumerator.MAX_IDEALS + 1L, wide.nodeSets());
    assertEquals(32, wide.cuts().size(), "the 31 prefixes of the order plus cloud-only");
  }

  /**
   * Runs each cut's parts in ONNX Runtime on random inputs against the whole graph: FP32 on the
   * wire within {@link SplitRequest#FP32_TOLERANCE}; FP16 within 1e-3; int8 (ranges: the cut
   * tensors' min/max on these inputs, half a step at most 0.012) within 0.02, the half steps of the
   * sent tensors weighted by these graphs' slopes (1 for Neg and Add, 0.5 for the Mul, 0.25 for
   * Sigmoid).
   */
  static void everyCutReproduces(Graph model, CutEnumeration e) throws Exception {
    Graph g = SplitPlanner.withShapes(model);
    OnnxChecker.check(g, g.name());
    Random r = new Random(11);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (Value v : g.inputs()) {
      float[] x = new float[6];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      inputs.put(v.name(), Tensor.ofFloats(v.name(), new long[] {2, 3}, x));
    }
    Map<String, QuantParams> ranges = new HashMap<>();
    try (InferenceSession probe =
        OrtRuntime.get().open(SplitEvaluator.probe(g, e.cuts()), SplitEvaluator.SESSION)) {
      Map<String, Tensor> all = new HashMap<>(probe.run(inputs));
      all.putAll(inputs);
      for (Cut c : e.cuts()) {
        for (String t : c.tensors()) {
          float[] v = all.get(t).toFloats();
          float min = 0;
          float max = 0;
          for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
          }
          ranges.put(t, QuantParams.asymmetric(min, max, DataType.INT8));
        }
      }
    }
    Map<WireFormat, Double> tolerance =
        Map.of(
            WireFormat.FP32,
            SplitRequest.FP32_TOLERANCE,
            WireFormat.FP16,
            1e-3,
            WireFormat.INT8,
            0.02);
    try (InferenceSession whole = OrtRuntime.get().open(g, SplitEvaluator.SESSION)) {
      Map<String, Tensor> reference = whole.run(inputs);
      for (Cut c : e.cuts()) {
        for (WireFormat w : WireFormat.values()) {
          Graph edge = c.cloudOnly() ? null : GraphSplitter.edgePart(g, c, w, ranges);
          Graph server = c.edgeOnly() ? null : GraphSplitter.serverPart(g, c, w, ranges);
          try (InferenceSession es =
                  edge == null ? null : OrtRuntime.get().open(edge, SplitEvaluator.SESSION);
              InferenceSession ss =
                  server == null ? null : OrtRuntime.get().open(server, SplitEvaluator.SESSION)) {
            Map<String, Tensor> out = Composition.run(es, ss, c, inputs, w, ranges);
            double diff = SplitEvaluator.maxAbsDiff(g, out, reference);
            assertTrue(diff <= tolerance.get(w), c.label() + ", " + w.id() + ": " + diff);
          }
        }
      }
    }
  }
}
