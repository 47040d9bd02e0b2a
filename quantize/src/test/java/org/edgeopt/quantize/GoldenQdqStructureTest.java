package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The QDQ model the quantizer makes of the bundled Fashion-MNIST sample, against its golden
 * structure description (regenerate with {@link GoldenQdqFiles#main}, see its Javadoc), plus the
 * QDQ rules checked directly on the graph.
 */
class GoldenQdqStructureTest {
  static Graph qdq;

  @BeforeAll
  static void quantize() throws Exception {
    qdq = GoldenQdqFiles.quantizedSample();
  }

  @Test
  void structureMatchesTheGoldenDescription() throws Exception {
    String expected;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(GoldenQdqFiles.GOLDEN)) {
      assertNotNull(in, "golden file missing: run GoldenQdqFiles.main (see its Javadoc)");
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(
        expected,
        GoldenQdqFiles.describe(qdq),
        "the QDQ structure changed: if intended, run GoldenQdqFiles.main and review the diff");
  }

  @Test
  void everyConvAndGemmReadsDequantizedActivationsAndInt8Weights() {
    Map<String, Node> producers = qdq.producers();
    int weighted = 0;
    for (Node n : qdq.nodes()) {
      if (!n.opType().equals("Conv") && !n.opType().equals("Gemm")) {
        continue;
      }
      weighted++;
      for (int i = 0; i < 2; i++) {
        Node dq = producers.get(n.input(i));
        assertNotNull(dq, n.describe() + " input " + i + " has no producer");
        assertEquals("DequantizeLinear", dq.opType(), n.describe() + " input " + i);
        if (i == 1) {
          assertEquals(
              DataType.INT8,
              qdq.initializer(dq.input(0)).orElseThrow().dataType(),
              n.describe() + ": weights stored as int8");
        }
      }
    }
    assertTrue(weighted > 0, "the sample has convolutions");
  }
}
