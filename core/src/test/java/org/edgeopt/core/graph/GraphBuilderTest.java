package org.edgeopt.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class GraphBuilderTest {

  private static GraphBuilder twoRelus() {
    GraphBuilder b = new GraphBuilder("g", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 4)));
    b.addOutput(new Value("z", null));
    return b;
  }

  @Test
  void sortsNodesTopologically() {
    GraphBuilder b = twoRelus();
    b.add("Relu", "second", List.of("y"), List.of("z"));
    b.add("Relu", "first", List.of("x"), List.of("y"));
    Graph g = b.build();
    assertEquals(List.of("first", "second"), g.nodes().stream().map(Node::name).toList());
  }

  @Test
  void keepsOrderOfSortedGraph() {
    Graph g = TestModels.smallCnn(13);
    Graph again = g.toBuilder().build();
    assertEquals(g.nodes(), again.nodes());
  }

  @Test
  void rejectsCycles() {
    GraphBuilder b = twoRelus();
    b.add("Add", "a", List.of("x", "c"), List.of("y"));
    b.add("Relu", "b", List.of("y"), List.of("c"));
    b.add("Relu", "out", List.of("y"), List.of("z"));
    GraphException e = assertThrows(GraphException.class, b::build);
    assertTrue(e.getMessage().contains("cycle"), e.getMessage());
  }

  @Test
  void rejectsDanglingInputs() {
    GraphBuilder b = twoRelus();
    b.add("Relu", "r", List.of("nowhere"), List.of("z"));
    GraphException e = assertThrows(GraphException.class, b::build);
    assertTrue(
        e.getMessage().contains("'nowhere'") && e.getMessage().contains("Relu 'r'"),
        e.getMessage());
  }

  @Test
  void rejectsValuesProducedTwice() {
    GraphBuilder b = twoRelus();
    b.add("Relu", "r1", List.of("x"), List.of("z"));
    b.add("Relu", "r2", List.of("x"), List.of("z"));
    assertThrows(GraphException.class, b::build);
  }

  @Test
  void checksArityWhenNodeIsAdded() {
    GraphBuilder b = twoRelus();
    GraphException e =
        assertThrows(GraphException.class, () -> b.add("Conv", "c", List.of("x"), List.of("z")));
    assertTrue(e.getMessage().contains("expected 2 to 3 inputs, found 1"), e.getMessage());
  }

  @Test
  void checksRequiredAttributes() {
    GraphBuilder b = twoRelus();
    GraphException e =
        assertThrows(GraphException.class, () -> b.add("Cast", "c", List.of("x"), List.of("z")));
    assertTrue(e.getMessage().contains("'to'"), e.getMessage());
  }

  @Test
  void rejectsUnknownDefaultDomainOps() {
    GraphBuilder b = twoRelus();
    GraphException e =
        assertThrows(
            GraphException.class, () -> b.add("Frobnicate", "f", List.of("x"), List.of("z")));
    assertTrue(e.getMessage().contains("unknown operator 'Frobnicate'"), e.getMessage());
  }

  @Test
  void acceptsCustomDomainOps() {
    GraphBuilder b = twoRelus();
    b.addNode(
        new Node("f", "FusedThing", "com.example", List.of("x"), List.of("z"), java.util.Map.of()));
    assertEquals(1, b.build().nodes().size());
  }

  @Test
  void removesUnusedNodesAndInitializers() {
    GraphBuilder b = twoRelus();
    b.addInitializer(Tensor.scalar("unused", 1f));
    b.add("Relu", "dead", List.of("x"), List.of("d"));
    b.add("Relu", "live", List.of("x"), List.of("z"));
    Graph g = b.removeUnused().build();
    assertEquals(List.of("live"), g.nodes().stream().map(Node::name).toList());
    assertTrue(g.initializers().isEmpty());
  }

  @Test
  void countsParameters() {
    Graph g = TestModels.smallCnn(13);
    assertEquals(36 + 4 + 16 + 36 + 4 + 12 + 3 + 2, g.parameterCount());
  }

  @Test
  void float16RoundTripsExactly() {
    for (int bits = 0; bits < 0x10000; bits++) {
      short h = (short) bits;
      float f = Float16.toFloat(h);
      if (Float.isNaN(f)) {
        continue;
      }
      assertEquals(h, Float16.fromFloat(f), "half bits " + Integer.toHexString(bits));
    }
    assertEquals(1.0f, Float16.toFloat(Float16.fromFloat(1.0f)));
    assertEquals(65504f, Float16.toFloat(Float16.fromFloat(65504f)));
    assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat(Float16.fromFloat(1e6f)));
  }
}
