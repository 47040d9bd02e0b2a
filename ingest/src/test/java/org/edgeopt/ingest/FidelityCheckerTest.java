package org.edgeopt.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.testing.TestModels;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;

/** The export-fidelity check on the project's Fashion-MNIST sample, whose ONNX and TorchScript files come from one PyTorch model. */
class FidelityCheckerTest {

  /** The bundled sample is part of the build: its absence is a failure, never a skip. */
  static SampleModel fashion() {
    return SampleModels.fashionMnist();
  }

  @Test
  void fashionMnistExportMatchesItsTorchScript() throws Exception {
    SampleModel s = fashion();
    IngestResult r =
        new Ingestor().ingest(s.model(), IngestOptions.defaults().withReference(s.torchscript()));
    FidelityCheck f = r.fidelity();
    assertEquals(f, r.card().fidelity());
    assertEquals(List.of(1, 2, 3, 4), f.batchSizes());
    assertEquals(10L * (1 + 2 + 3 + 4), f.elements());
    // Same FP32 weights, different kernels: the tolerance is 1e-3 x max(1, |reference|).
    assertTrue(f.withinTolerance(), f.toString());
    assertTrue(f.cosineSimilarity() > 0.99999, f.toString());
    System.out.printf(
        "fashion-mnist fidelity: max abs diff %.3g, cosine %.9f, max |ref| %.3g%n",
        f.maxAbsDiff(), f.cosineSimilarity(), f.referenceMaxAbs());
  }

  @Test
  void aGraphThatDiffersFromTheReferenceIsFlagged() throws Exception {
    SampleModel s = fashion();
    Graph g = new Ingestor().ingest(s.model(), IngestOptions.defaults()).graph();
    // Shift the bias of the last node that has one by 1: every logit moves by 1.
    Node last =
        g.nodes().stream()
            .filter(n -> n.inputs().size() > 2 && g.initializers().containsKey(n.input(2)))
            .reduce((a, b) -> b)
            .orElseThrow();
    Tensor bias = g.initializers().get(last.input(2));
    float[] v = bias.toFloats();
    for (int i = 0; i < v.length; i++) {
      v[i] += 1f;
    }
    Graph shifted =
        g.toBuilder().addInitializer(Tensor.ofFloats(bias.name(), bias.dims(), v)).build();
    FidelityCheck f = FidelityChecker.check(shifted, s.torchscript(), "shifted");
    assertFalse(f.withinTolerance(), f.toString());
    assertTrue(f.maxAbsDiff() > 0.5, f.toString());
  }

  @Test
  void outputsThatDoNotPairUpAreInvalidInput() throws Exception {
    SampleModel s = fashion();
    // smallCnn has 3 logits, the sample's TorchScript 10.
    Graph other = TestModels.smallCnn(13);
    assertThrows(
        EdgeoptException.class, () -> FidelityChecker.check(other, s.torchscript(), "small_cnn"));
  }
}
