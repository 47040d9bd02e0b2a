package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-layer diagnosis on the core's small CNN: real QDQ candidates (int8 weights, uint8
 * activations calibrated on data) made in the test, one of them with a damaged layer.
 */
class LayerDiagnosisTest {
  /** Maps raw bytes 0..255 to [-2, 2], the range the small CNN was made for. */
  static final String PRE = "scale=0.01568627450980392,mean=2";

  @TempDir static Path dir;
  static Graph fp32;
  static Path reference;
  static Path holdout;
  static Dataset data;
  static Map<String, float[]> ranges;

  @BeforeAll
  static void setUp() throws Exception {
    fp32 = TestModels.smallCnn(13);
    reference = dir.resolve("small.onnx");
    OnnxModels.write(fp32, reference);
    holdout = TestData.randomIdx(dir.resolve("holdout"), 96, 8, 8, 3, 7);
    data = Datasets.open(holdout, Preprocessing.parse(PRE), null, null);
    ranges = QdqCandidates.calibrate(fp32, data, 96);
  }

  private static LayerDiagnosis diagnose(Graph candidate, String name) throws Exception {
    Path p = dir.resolve(name);
    OnnxModels.write(candidate, p);
    return LayerDiagnoser.diagnose(reference, p, data, 32, 2, 1, ProgressListener.silent());
  }

  @Test
  void damagedLayerRanksFirstAndIsTheOneToExclude() throws Exception {
    LayerDiagnosis d = diagnose(QdqCandidates.quantize(fp32, ranges, "dw", 16f), "damaged.onnx");
    assertTrue(d.ran(), d.reason());
    assertEquals(64, d.samples(), "two batches of 32");
    LayerDiagnosis.LayerError first = d.layers().get(0);
    assertEquals("dw", first.node(), d.layers().toString());
    assertEquals("dw", d.excludeFirst());
    assertEquals("isolated", first.addedBy());
    assertTrue(d.advice().startsWith("exclude Conv 'dw' first"), d.advice());
    // the damage is the layer's own: its isolated SQNR is far below the healthy layers'
    LayerDiagnosis.LayerError conv1 = layer(d, "conv1");
    assertTrue(first.addedSqnrDb() + 10 < conv1.addedSqnrDb(), first + " vs " + conv1);
  }

  @Test
  void healthyInt8CandidateHasHighLayerSqnrAndAccumulatesError() throws Exception {
    LayerDiagnosis d = diagnose(QdqCandidates.quantize(fp32, ranges, null, 1f), "int8.onnx");
    assertTrue(d.ran(), d.reason());
    LayerDiagnosis.LayerError conv1 = layer(d, "conv1");
    LayerDiagnosis.LayerError dw = layer(d, "dw");
    LayerDiagnosis.LayerError fc = layer(d, "fc");
    for (LayerDiagnosis.LayerError e : List.of(conv1, dw, fc)) {
      assertTrue(e.reducedPrecision(), e.toString());
      assertEquals("node name", e.matchedBy());
      assertEquals("isolated", e.addedBy());
      // 8-bit weights and activations: tens of dB, far from exact and far from broken
      assertTrue(e.addedSqnrDb() > 20 && e.addedSqnrDb() < 80, e.toString());
    }
    // conv1 reads the graph input: nothing accumulated before it, so alone == whole
    assertEquals(DriftMetrics.MAX_SQNR_DB, conv1.inputSqnrDb(), 1e-9);
    assertEquals(conv1.sqnrDb(), conv1.addedSqnrDb(), 1e-6);
    // the BatchNormalization after conv1 is compared after conv1's own output, as the graph
    // computes it
    assertEquals("c1", conv1.referenceTensor());
    // error accumulates: the last layer's output is worse in the whole candidate than on its own
    assertTrue(fc.sqnrDb() < fc.addedSqnrDb(), fc.toString());
    // relu1's output is quantized on its way into dw: that error is charged to relu1, measured
    // alone
    LayerDiagnosis.LayerError relu = layer(d, "relu1");
    assertTrue(relu.reducedPrecision());
    assertEquals("isolated", relu.addedBy());
    // layers that run in full precision are listed after the reduced-precision ones
    LayerDiagnosis.LayerError gap = layer(d, "gap");
    assertFalse(gap.reducedPrecision());
    assertEquals("estimated", gap.addedBy());
    assertTrue(gap.rank() > fc.rank() && gap.rank() > relu.rank());
  }

  @Test
  void renamedNodesAreMatchedByOutputName() throws Exception {
    LayerDiagnosis d =
        diagnose(
            QdqCandidates.renameNodes(QdqCandidates.quantize(fp32, ranges, "fc", 16f)),
            "renamed.onnx");
    assertTrue(d.ran(), d.reason());
    assertTrue(
        d.layers().stream().allMatch(e -> e.matchedBy().equals("output name")),
        d.layers().toString());
    assertEquals(
        "logits",
        d.layers().get(0).referenceTensor(),
        "the damaged Gemm, now unnamed, still ranks first");
  }

  @Test
  void fp16WeightsAreIsolatedThroughTheirCasts() throws Exception {
    LayerDiagnosis d = diagnose(QdqCandidates.fp16Weights(fp32), "fp16.onnx");
    assertTrue(d.ran(), d.reason());
    for (String node : List.of("conv1", "dw", "fc")) {
      LayerDiagnosis.LayerError e = layer(d, node);
      assertTrue(e.reducedPrecision(), e.toString());
      assertEquals("isolated", e.addedBy());
      // float16 keeps 11 significant bits: about 60-70 dB, far above int8's 30-50 dB
      assertTrue(e.addedSqnrDb() > 55 && e.addedSqnrDb() < DriftMetrics.MAX_SQNR_DB, e.toString());
    }
  }

  @Test
  void fusedClipIsComparedAfterTheOutputQuantizer() throws Exception {
    // As edgeopt's quantizer writes it: the Clip after dw is gone, dw's output takes the Clip's
    // output
    // name, and its uint8 [0, 6] quantize/dequantize pair does the clipping by saturating.
    GraphBuilder b = fp32.toBuilder();
    b.removeNode("clip");
    b.replaceNode(fp32.node("dw").orElseThrow().withOutputs(List.of("k1")));
    b.replaceUses("k1", "k1_dequantized");
    b.addInitializer(Tensor.scalar("k1_scale", 6f / 255));
    b.addInitializer(
        Tensor.ofBytes(
            "k1_zero_point", org.edgeopt.core.graph.DataType.UINT8, new long[0], new byte[] {0}));
    b.add(
        "QuantizeLinear",
        "k1_QuantizeLinear",
        List.of("k1", "k1_scale", "k1_zero_point"),
        List.of("k1_quantized"));
    b.add(
        "DequantizeLinear",
        "k1_DequantizeLinear",
        List.of("k1_quantized", "k1_scale", "k1_zero_point"),
        List.of("k1_dequantized"));
    LayerDiagnosis d = diagnose(b.removeUnused().build(), "fused-clip.onnx");
    LayerDiagnosis.LayerError dw = layer(d, "dw");
    assertEquals("k1", dw.referenceTensor(), "compared after the reference's Clip");
    assertEquals(
        "k1_dequantized", dw.candidateTensor(), "compared after the saturating output quantizer");
    assertTrue(dw.reducedPrecision());
    assertEquals("isolated", dw.addedBy());
    // compared before the quantizer, every negative output would count as error (about 0 dB)
    assertTrue(dw.sqnrDb() > 25 && dw.addedSqnrDb() > 25, dw.toString());
    assertEquals("dw", d.excludeFirst(), "the only reduced-precision layer");
  }

  @Test
  void foldedBatchNormIsComparedAfterTheReferenceBatchNorm() throws Exception {
    Graph folded = foldBatchNorm(fp32);
    LayerMatcher m = new LayerMatcher(fp32, folded);
    LayerMatcher.Match conv1 =
        m.matches().stream()
            .filter(x -> x.candidate().name().equals("conv1"))
            .findFirst()
            .orElseThrow();
    assertEquals("b1", conv1.referenceTensor());
    LayerDiagnosis d = diagnose(folded, "folded.onnx");
    // float32 folding changes rounding only: far above any quantization error
    assertTrue(layer(d, "conv1").sqnrDb() > 90, layer(d, "conv1").toString());
    assertNotNull(d.advice());
  }

  @Test
  void nonOnnxOrDisabledDiagnosisIsSkippedWithAReason() {
    LayerDiagnosis none =
        LayerDiagnoser.diagnose(
            reference, dir.resolve("model.tflite"), data, 32, 2, 1, ProgressListener.silent());
    assertFalse(none.ran());
    assertTrue(none.reason().contains("model.tflite is not an ONNX model"), none.reason());
    assertFalse(
        LayerDiagnoser.diagnose(reference, reference, data, 32, 0, 1, ProgressListener.silent())
            .ran());
  }

  private static LayerDiagnosis.LayerError layer(LayerDiagnosis d, String node) {
    return d.layers().stream()
        .filter(e -> e.node().equals(node))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no layer " + node + " in " + d.layers()));
  }

  /** Folds bn1 into conv1 the way ingest does: w' = w * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta. */
  private static Graph foldBatchNorm(Graph g) {
    float[] w = g.initializers().get("conv1.w").toFloats();
    float[] b = g.initializers().get("conv1.b").toFloats();
    float[] gamma = g.initializers().get("bn.scale").toFloats();
    float[] beta = g.initializers().get("bn.bias").toFloats();
    float[] mean = g.initializers().get("bn.mean").toFloats();
    float[] var = g.initializers().get("bn.var").toFloats();
    int per = w.length / b.length;
    for (int c = 0; c < b.length; c++) {
      double k = gamma[c] / Math.sqrt(var[c] + 1e-5);
      for (int i = 0; i < per; i++) {
        w[c * per + i] = (float) (w[c * per + i] * k);
      }
      b[c] = (float) ((b[c] - mean[c]) * k + beta[c]);
    }
    GraphBuilder gb = g.toBuilder();
    gb.addInitializer(Tensor.ofFloats("conv1.w", new long[] {4, 1, 3, 3}, w));
    gb.addInitializer(Tensor.ofFloats("conv1.b", new long[] {4}, b));
    gb.removeNode("bn1");
    gb.replaceUses("b1", "c1");
    Node conv = g.node("conv1").orElseThrow();
    gb.replaceNode(conv);
    return gb.removeUnused().build();
  }
}
