package org.edgeopt.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest of a generated model, where every figure of the card can be worked out by hand. */
class IngestorTest {
  @TempDir Path tmp;
  Path model;

  @BeforeEach
  void writeModel() throws Exception {
    model = tmp.resolve("small_cnn.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
  }

  @Test
  void normalisesSmallCnnWithoutChangingItsOutputs() throws Exception {
    IngestResult r = new Ingestor().ingest(model, IngestOptions.defaults());
    assertEquals(0, r.graph().opHistogram().getOrDefault("BatchNormalization", 0));
    assertNull(r.fidelity());
    assertEquals(r.passes(), r.card().passes());
    SessionOptions o = SessionOptions.defaults().withThreads(1);
    try (InferenceSession before = OrtRuntime.get().open(model, o);
        InferenceSession after = OrtRuntime.get().open(r.graph(), o)) {
      Tensor in = TestModels.smallCnnInput(3, 4);
      float[] a = before.run(Map.of("input", in)).get("logits").toFloats();
      float[] b = after.run(Map.of("input", in)).get("logits").toFloats();
      for (int i = 0; i < a.length; i++) {
        // BN folding reorders float arithmetic: 1e-4 absolute on logits of magnitude ~1.
        assertEquals(a[i], b[i], 1e-4, "logit " + i);
      }
    }
  }

  @Test
  void cardFiguresMatchHandCounts() throws Exception {
    ModelCard c = new Ingestor().ingest(model, IngestOptions.defaults()).card();
    // conv1: 4 out channels x 8x8 x (1 in channel x 3x3); depthwise: 4 x 8x8 x (1 x 3x3); Gemm
    // 1x3x4.
    assertEquals(
        List.of(4L * 64 * 9, 4L * 64 * 9, 12L),
        c.layers().stream().map(ModelCard.LayerMacs::macs).toList());
    assertEquals(4 * 64 * 9 * 2 + 12, c.totalMacs());
    // Source: conv 36+4, BN 4x4, depthwise 36+4, clip 2 scalars, fc 12+3; folding drops the BN
    // vectors.
    assertEquals(36 + 4 + 16 + 36 + 4 + 2 + 12 + 3, c.source().parameterCount());
    assertEquals(36 + 4 + 36 + 4 + 2 + 12 + 3, c.parameterCount());
    assertEquals(4L * c.parameterCount(), c.weightBytes());
    // At batch 1 a [1,4,8,8] float map is 1 KiB. Peak at the Clip: its input, its output and
    // the residual branch kept for the Add are live together.
    assertEquals(3 * 1024, c.peakActivation().bytes());
    assertEquals("clip", c.peakActivation().node());
    assertEquals("float[batch, 1, 8, 8]", c.inputs().get(0).display());
    assertFalse(c.inputs().get(0).staticShape());
    assertEquals(Hashes.sha256(model), c.source().sha256());
  }

  @Test
  void targetCoverageFollowsEachProfile() throws Exception {
    ModelCard c = new Ingestor().ingest(model, IngestOptions.defaults()).card();
    Map<String, ModelCard.TargetCoverage> byName = new java.util.HashMap<>();
    c.targets().forEach(t -> byName.put(t.profile(), t));
    assertEquals(
        List.of(
            "onnxruntime-cpu",
            "onnxruntime-x86-vnni",
            "onnxruntime-arm64",
            "tensorrt-ampere",
            "tensorrt-jetson-orin",
            "edgetpu"),
        c.targets().stream().map(ModelCard.TargetCoverage::profile).toList());
    ModelCard.TargetCoverage cpu = byName.get("onnxruntime-cpu");
    assertTrue(cpu.fits(), cpu.toString());
    assertTrue(cpu.rooflineSeconds().get("fp32") > 0);
    ModelCard.TargetCoverage tpu = byName.get("edgetpu");
    // The symbolic batch breaks the Edge TPU's static-shape rule; every op of the model is in its
    // table.
    assertFalse(tpu.fits());
    assertTrue(tpu.unsupported().isEmpty(), tpu.unsupported().toString());
    assertTrue(
        tpu.ruleViolations().get(0).contains("input 'input'"), tpu.ruleViolations().toString());
    assertEquals(Map.of("int8", tpu.rooflineSeconds().get("int8")), tpu.rooflineSeconds());
  }

  @Test
  void edgeTpuListsUnsupportedOpsWithTheirNodes() throws Exception {
    var b = TestModels.smallCnn(13).toBuilder();
    b.add("LRN", "norm", List.of("a1"), List.of("n"), Attribute.of("size", 3L));
    b.addOutput(new Value("n", TensorType.of(DataType.FLOAT, 1, 4, 8, 8)));
    Graph g = b.build();
    Path f = tmp.resolve("lrn.onnx");
    OnnxModels.write(g, f);
    ModelCard c =
        new Ingestor().ingest(f, IngestOptions.defaults().withTargets(List.of("edgetpu"))).card();
    assertEquals(1, c.targets().size());
    ModelCard.UnsupportedOp u = c.targets().get(0).unsupported().get(0);
    assertEquals("LRN", u.opType());
    assertEquals(List.of("norm"), u.nodes());
    assertTrue(u.reason().contains("LOCAL_RESPONSE_NORMALIZATION"), u.reason());
  }

  @Test
  void writesModelAndCardThatReadBack() throws Exception {
    IngestResult r = new Ingestor().ingest(model, IngestOptions.defaults());
    Path out = tmp.resolve("out/small");
    Ingestor.write(r, out);
    Path written = out.resolve(Ingestor.MODEL_FILE);
    assertEquals(r.card().model().sha256(), Hashes.sha256(written));
    ModelCard back = ModelCard.read(out.resolve(ModelCard.FILE_NAME));
    assertEquals(r.card(), back);
    // Count the parameters straight from the protobuf, without edgeopt's graph classes.
    OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(written));
    long sum = 0;
    for (OnnxMl.TensorProto t : proto.getGraph().getInitializerList()) {
      sum += t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (x, y) -> x * y);
    }
    assertEquals(sum, back.parameterCount());
    assertEquals(
        "ingest",
        proto.getMetadataPropsList().stream()
            .filter(e -> e.getKey().equals("edgeopt.stage"))
            .findFirst()
            .orElseThrow()
            .getValue());
    try (var files = Files.list(out)) {
      assertEquals(
          List.of("model-card.json", "model.onnx"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void tableSummarisesTheCard() throws Exception {
    ModelCard c = new Ingestor().ingest(model, IngestOptions.defaults()).card();
    String table = ModelCardTable.render(c);
    assertTrue(table.contains("input        input  float[batch, 1, 8, 8]"), table);
    assertTrue(
        table.contains("4,620 per inference") || table.contains("4.6 K per inference"), table);
    assertTrue(table.lines().anyMatch(l -> l.startsWith("edgetpu") && l.contains(" no ")), table);
    assertTrue(table.lines().allMatch(l -> l.length() <= 120), table);
  }

  @Test
  void unknownTargetAndMissingReferenceAreInvalidInput() {
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                new Ingestor()
                    .ingest(model, IngestOptions.defaults().withTargets(List.of("tpu9000"))));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    Path pt = tmp.resolve("missing.pt");
    e =
        assertThrows(
            EdgeoptException.class,
            () -> new Ingestor().ingest(model, IngestOptions.defaults().withReference(pt)));
    assertTrue(e.getMessage().startsWith(pt.toString()), e.getMessage());
  }

  @Test
  void opsetOutsideTheConverterRangeIsRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> IngestOptions.defaults().withMinimumOpset(6));
    assertThrows(
        IllegalArgumentException.class, () -> IngestOptions.defaults().withMinimumOpset(23));
  }

  /** Writes the small CNN after {@code edit} changed its protobuf, and returns the file. */
  private Path edited(String name, java.util.function.UnaryOperator<OnnxMl.ModelProto.Builder> edit)
      throws Exception {
    Path p = tmp.resolve(name + ".onnx");
    Files.write(
        p,
        edit.apply(OnnxModels.toProto(TestModels.smallCnn(13)).toBuilder()).build().toByteArray());
    return p;
  }

  private static EdgeoptException refused(Path p) {
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> new Ingestor().ingest(p, IngestOptions.defaults()));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode(), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
    return e;
  }

  private static OnnxMl.ModelProto.Builder withInitializer(
      OnnxMl.ModelProto.Builder m, String name, float[] values) {
    OnnxMl.GraphProto.Builder g = m.getGraphBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals(name)) {
        Tensor t =
            Tensor.ofFloats(
                name,
                g.getInitializer(i).getDimsList().stream().mapToLong(Long::longValue).toArray(),
                values);
        g.setInitializer(i, OnnxModels.toProto(t));
      }
    }
    return m;
  }

  @Test
  void nanWeightIsRefusedNamingTheInitializer() throws Exception {
    Path p = edited("nan-weight", m -> withInitializer(m, "fc.b", new float[] {0, Float.NaN, 0}));
    assertEquals(
        p
            + ": initializer 'fc.b' holds a NaN or infinite value at element 1 of 3: expected finite weights (the "
            + "file is corrupt or was exported from a diverged training run)",
        refused(p).getMessage());
  }

  @Test
  void infiniteWeightIsRefusedNamingTheInitializer() throws Exception {
    float[] w = new float[36];
    w[35] = Float.NEGATIVE_INFINITY;
    Path p = edited("inf-weight", m -> withInitializer(m, "dw.w", w));
    assertTrue(
        refused(p)
            .getMessage()
            .contains("initializer 'dw.w' holds a NaN or infinite value at element 35 of 36"));
  }

  @Test
  void opset99IsRefused() throws Exception {
    Path p =
        edited(
            "opset99",
            m ->
                m.setOpsetImport(
                    0, OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(99)));
    assertEquals(
        p
            + ": opset 99 of the default ONNX domain is not one edgeopt supports: expected 1 to 22 (export with a "
            + "supported opset)",
        refused(p).getMessage());
  }

  @Test
  void irVersion14IsRefused() throws Exception {
    Path p = edited("ir14", m -> m.setIrVersion(14));
    assertTrue(
        refused(p)
            .getMessage()
            .startsWith(p + ": IR version 14 is newer than edgeopt reads: expected 3 to 13"));
  }

  @Test
  void irVersions11To13AreCheckedAsIr10() throws Exception {
    for (long ir = 11; ir <= 13; ir++) {
      long v = ir;
      Path p = edited("ir" + ir, m -> m.setIrVersion(v));
      IngestResult r = new Ingestor().ingest(p, IngestOptions.defaults());
      assertEquals(v, r.card().source().irVersion());
      // The written model says IR 10, which the checker and every runtime bundled here read.
      assertEquals(10, r.graph().info().irVersion());
      try (InferenceSession s =
          OrtRuntime.get().open(r.graph(), SessionOptions.defaults().withThreads(1))) {
        assertEquals(List.of("logits"), s.outputNames());
      }
    }
  }

  @Test
  void irVersion11WithAFloat4InputIsRefused() throws Exception {
    Path p =
        edited(
            "ir11-float4",
            m -> {
              m.setIrVersion(11);
              m.getGraphBuilder()
                  .getInputBuilder(0)
                  .getTypeBuilder()
                  .getTensorTypeBuilder()
                  .setElemType(23);
              return m;
            });
    assertTrue(
        refused(p)
            .getMessage()
            .contains("with element type 23, which the bundled ONNX checker (IR 10) cannot judge"));
  }

  @Test
  void negativeInputDimensionIsRefused() throws Exception {
    Path p =
        edited(
            "negative-dim",
            m -> {
              m.getGraphBuilder()
                  .getInputBuilder(0)
                  .getTypeBuilder()
                  .getTensorTypeBuilder()
                  .getShapeBuilder()
                  .getDimBuilder(2)
                  .setDimValue(-5);
              return m;
            });
    assertEquals(
        p
            + ": input 'input' declares dimension 2 as -5: expected a size >= 0, or a symbolic name for a dynamic "
            + "dimension",
        refused(p).getMessage());
  }

  @Test
  void eightTerabyteActivationFitsNoTarget() throws Exception {
    // An input of 1 x 1 x 2^20 x 2^21 floats is 8 TiB; every Conv output after it is four times
    // that.
    Path p =
        edited(
            "8tb",
            m -> {
              OnnxMl.TensorShapeProto.Builder s =
                  m.getGraphBuilder()
                      .getInputBuilder(0)
                      .getTypeBuilder()
                      .getTensorTypeBuilder()
                      .getShapeBuilder();
              s.getDimBuilder(0).clearDimParam().setDimValue(1);
              s.getDimBuilder(2).setDimValue(1L << 20);
              s.getDimBuilder(3).setDimValue(1L << 21);
              return m;
            });
    ModelCard card = new Ingestor().ingest(p, IngestOptions.defaults()).card();
    assertTrue(card.peakActivation().bytes() > 8L << 40, card.peakActivation().toString());
    assertFalse(card.targets().isEmpty());
    for (ModelCard.TargetCoverage t : card.targets()) {
      assertFalse(t.fits(), t.profile() + " must not fit");
      assertTrue(
          t.ruleViolations().stream().anyMatch(v -> v.startsWith("activations need ")),
          t.ruleViolations().toString());
    }
  }
}
