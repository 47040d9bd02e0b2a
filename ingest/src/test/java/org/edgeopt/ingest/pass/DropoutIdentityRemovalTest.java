package org.edgeopt.ingest.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class DropoutIdentityRemovalTest {

  @Test
  void removesDropoutAndIdentityAndKeepsOutputNames() throws Exception {
    GraphBuilder b = new GraphBuilder("g", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 2, 4)));
    b.add("Relu", "relu", List.of("x"), List.of("r"));
    b.add("Dropout", "drop", List.of("r"), List.of("d", "mask"));
    b.add("Sigmoid", "sig", List.of("d"), List.of("s"));
    // The graph output comes out of an Identity: its name must survive the removal.
    b.add("Identity", "id", List.of("s"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 2, 4)));
    Graph g = b.build();
    PassResult r = new DropoutIdentityRemoval().apply(g, "g");
    assertTrue(r.changed(), r.message());
    Graph out = r.graph();
    assertEquals(Map.of("Relu", 1, "Sigmoid", 1), out.opHistogram());
    assertEquals(List.of("y"), out.outputs().stream().map(Value::name).toList());
    assertEquals("y", out.node("sig").orElseThrow().output());
    OnnxChecker.check(out, "g");
    var in = Map.of("x", Tensor.ofFloats("x", new long[] {2, 4}, TestModels.random(1, 8, 3f)));
    assertEquals(
        0.0,
        Outputs.maxAbsDiff(Outputs.run(g, in), Outputs.run(out, in)),
        "removal changes no value");
  }

  @Test
  void keepsDropoutWhoseMaskIsReadAndIdentityOfAnInput() throws Exception {
    GraphBuilder b = new GraphBuilder("g", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 4)));
    b.add("Dropout", "drop", List.of("x"), List.of("d", "mask"));
    b.add(
        "Cast",
        "cast",
        List.of("mask"),
        List.of("m"),
        Attribute.of("to", (long) DataType.FLOAT.onnxCode()));
    b.add("Add", "add", List.of("d", "m"), List.of("y"));
    // Graph input straight to graph output: only an Identity can rename it.
    b.add("Identity", "passthrough", List.of("x"), List.of("x_copy"));
    b.addOutput(new Value("y", null));
    b.addOutput(new Value("x_copy", null));
    Graph g = b.build();
    PassResult r = new DropoutIdentityRemoval().apply(g, "g");
    assertEquals(g.nodes(), r.graph().nodes());
  }
}
