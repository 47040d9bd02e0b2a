package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.edgeopt.ingest.FidelityCheck;
import org.edgeopt.ingest.ModelCard;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IngestCommandTest {
  @TempDir Path tmp;

  static Path shared(String rel) {
    Path p = SharedModels.find(rel).orElse(null);
    assumeTrue(p != null, SharedModels.missingReason(rel));
    return p;
  }

  /** Counts the initializer elements of an ONNX file straight from its protobuf. */
  static long initializerElements(Path onnx) throws Exception {
    OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx));
    long sum = 0;
    for (OnnxMl.TensorProto t : m.getGraph().getInitializerList()) {
      sum += t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
    }
    return sum;
  }

  @Test
  void ingestsMnist7() throws Exception {
    Path model = shared("mnist-7/mnist.onnx");
    Path out = tmp.resolve("out");
    Run r = edgeopt("ingest", model.toString(), "-o", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("Input3  float[1, 1, 28, 28]"), r.out());
    assertTrue(r.out().contains("7 -> 13"), r.out());
    ModelCard card = ModelCard.read(out.resolve("model-card.json"));
    Graph g = OnnxModels.read(out.resolve("model.onnx"));
    assertEquals(13, g.opset());
    assertEquals(initializerElements(out.resolve("model.onnx")), card.parameterCount());
    assertEquals(initializerElements(model), card.source().parameterCount());
  }

  @Test
  void ingestsFp16SqueezeNetToFp32ThatStillSeesTheKitten() throws Exception {
    Path model = shared("squeezenet-1.0/SqueezeNet_fp16.onnx");
    Path out = tmp.resolve("out2");
    Run r = edgeopt("ingest", model.toString(), "-o", out.toString(), "--json");
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(
        Files.readString(out.resolve("model-card.json")).strip(),
        r.out().strip(),
        "--json prints the card");
    ModelCard card = ModelCard.read(out.resolve("model-card.json"));
    assertEquals(initializerElements(out.resolve("model.onnx")), card.parameterCount());
    assertEquals(initializerElements(model), card.source().parameterCount());
    Graph g = OnnxModels.read(out.resolve("model.onnx"));
    assertTrue(g.opset() >= 13);
    assertTrue(g.initializers().values().stream().noneMatch(t -> t.dataType() == DataType.FLOAT16));
    assertEquals(DataType.FLOAT, g.inputs().get(0).type().dataType());
    assertEquals(DataType.FLOAT, g.outputs().get(0).type().dataType());
    Tensor kitten =
        Images.read(
            shared("squeezenet-1.0/kitten_224.png"),
            Preprocessing.parse("channels=bgr,mean=104:117:123"));
    try (InferenceSession s =
        OrtRuntime.get()
            .open(out.resolve("model.onnx"), SessionOptions.defaults().withThreads(1))) {
      Tensor probs = s.run(Map.of("data_0", kitten.withName("data_0"))).get("softmaxout_1");
      assertEquals(281, BatchRunner.argmax(probs.toFloats(), 0, 1000));
    }
  }

  static Stream<String> badInputs() {
    return Stream.of(
        "truncated", "random-bytes", "unknown-op", "missing", "folder", "external-data-escape");
  }

  @ParameterizedTest
  @MethodSource("badInputs")
  void badInputExitsWith3OnOneLineAndWritesNothing(String kind) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("in"));
    Path model = dir.resolve(kind + ".onnx");
    String mustMention = model.toString();
    switch (kind) {
      case "truncated" -> {
        byte[] full = OnnxModels.toBytes(TestModels.smallCnn(13));
        Files.write(model, Arrays.copyOf(full, full.length / 2));
      }
      case "random-bytes" -> {
        byte[] b = new byte[4096];
        new Random(7).nextBytes(b);
        Files.write(model, b);
      }
      case "unknown-op" -> {
        Files.write(model, oneNodeModel("Frobnicate", null).toByteArray());
        mustMention = "'mystery'";
      }
      case "missing" -> {}
      case "folder" -> Files.createDirectories(model);
      case "external-data-escape" ->
          Files.write(model, oneNodeModel("Add", "../outside.bin").toByteArray());
      default -> throw new IllegalArgumentException(kind);
    }
    Path out = tmp.resolve("out-" + kind);
    Run r = edgeopt("ingest", model.toString(), "-o", out.toString());
    assertEquals(3, r.exitCode(), kind + ": " + r.err());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), kind + " should fail on one line: " + r.err());
    assertTrue(lines.get(0).startsWith("edgeopt: " + model), lines.get(0));
    assertTrue(lines.get(0).contains(mustMention), lines.get(0));
    assertEquals("", r.out());
    assertFalse(Files.exists(out), kind + ": the output folder must not be created");
  }

  /**
   * Returns a model {@code y = op(x, w)} with node 'mystery'; with {@code externalLocation}, {@code w} lives in
   * an external data file at that location.
   */
  static OnnxMl.ModelProto oneNodeModel(String op, String externalLocation) {
    OnnxMl.TypeProto type =
        OnnxMl.TypeProto.newBuilder()
            .setTensorType(
                OnnxMl.TypeProto.Tensor.newBuilder()
                    .setElemType(DataType.FLOAT.onnxCode())
                    .setShape(
                        OnnxMl.TensorShapeProto.newBuilder()
                            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(4))))
            .build();
    OnnxMl.TensorProto.Builder w =
        OnnxMl.TensorProto.newBuilder()
            .setName("w")
            .setDataType(DataType.FLOAT.onnxCode())
            .addDims(4);
    if (externalLocation != null) {
      w.setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
          .addExternalData(
              OnnxMl.StringStringEntryProto.newBuilder()
                  .setKey("location")
                  .setValue(externalLocation));
    } else {
      w.setRawData(ByteString.copyFrom(new byte[16]));
    }
    OnnxMl.GraphProto g =
        OnnxMl.GraphProto.newBuilder()
            .setName("g")
            .addInput(OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(type))
            .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("y").setType(type))
            .addInitializer(w)
            .addNode(
                OnnxMl.NodeProto.newBuilder()
                    .setName("mystery")
                    .setOpType(op)
                    .addInput("x")
                    .addInput("w")
                    .addOutput("y"))
            .build();
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("test")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g)
        .build();
  }

  @Test
  void referenceRunsTheExportFidelityCheck() throws Exception {
    SampleModel sample = SampleModels.fashionMnist(); // bundled: missing is a failure, not a skip
    Path out = tmp.resolve("fashion");
    Run r =
        edgeopt(
            "ingest",
            sample.model().toString(),
            "-o",
            out.toString(),
            "--reference",
            sample.torchscript().toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("within tolerance"), r.out());
    FidelityCheck f = ModelCard.read(out.resolve("model-card.json")).fidelity();
    // One PyTorch model, exported twice: FP32 kernels agree to 1e-3 x max(1, |logit|).
    assertTrue(f.withinTolerance(), f.toString());
    assertEquals(List.of(1, 2, 3, 4), f.batchSizes());
  }

  @Test
  void missingReferenceIsInvalidAndWritesNothing() throws Exception {
    Path model = tmp.resolve("small.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    Path out = tmp.resolve("out-ref");
    Run r =
        edgeopt(
            "ingest",
            model.toString(),
            "-o",
            out.toString(),
            "--reference",
            tmp.resolve("nope.pt").toString());
    assertEquals(3, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("nope.pt"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void opsetOutOfRangeIsAUsageError() throws Exception {
    Path model = tmp.resolve("small.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    Path out = tmp.resolve("out-opset");
    Run r = edgeopt("ingest", model.toString(), "-o", out.toString(), "--opset", "99");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("--opset"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void generatedModelIngestsWithATableAndTargetSelection() throws Exception {
    Path model = tmp.resolve("small.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    Path out = tmp.resolve("small-out");
    Run r = edgeopt("ingest", model.toString(), "-o", out.toString(), "-t", "edgetpu", "-q");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("edgetpu"), r.out());
    assertFalse(r.out().contains("onnxruntime-cpu"), r.out());
    assertFalse(r.out().contains("wrote "), "-q leaves out the closing line");
    assertEquals(
        List.of("edgetpu"),
        ModelCard.read(out.resolve("model-card.json")).targets().stream()
            .map(ModelCard.TargetCoverage::profile)
            .toList());
  }

  @Test
  void referenceOutOfToleranceExitsWith4() throws Exception {
    SampleModel sample = SampleModels.fashionMnist(); // bundled: missing is a failure, not a skip
    // The sample with every bias of its last Gemm moved by 1: every logit is off by 1.
    OnnxMl.ModelProto.Builder m =
        OnnxMl.ModelProto.parseFrom(Files.readAllBytes(sample.model())).toBuilder();
    OnnxMl.GraphProto.Builder g = m.getGraphBuilder();
    OnnxMl.NodeProto last =
        g.getNodeList().stream()
            .filter(n -> n.getOpType().equals("Gemm"))
            .reduce((a, b) -> b)
            .orElseThrow();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals(last.getInput(2))) {
        Graph one = OnnxModels.read(sample.model());
        Tensor bias = one.initializers().get(last.getInput(2));
        float[] v = bias.toFloats();
        for (int k = 0; k < v.length; k++) {
          v[k] += 1f;
        }
        g.setInitializer(i, OnnxModels.toProto(Tensor.ofFloats(bias.name(), bias.dims(), v)));
      }
    }
    Path shifted = tmp.resolve("shifted.onnx");
    Files.write(shifted, m.build().toByteArray());
    Path out = tmp.resolve("shifted-out");
    Run r =
        edgeopt(
            "ingest",
            shifted.toString(),
            "-o",
            out.toString(),
            "--reference",
            sample.torchscript().toString());
    assertEquals(4, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "edgeopt: " + shifted + ": the ONNX model differs from its TorchScript reference"),
        r.err());
    // The card stays, with the failed comparison in it, for diagnosis.
    assertFalse(ModelCard.read(out.resolve("model-card.json")).fidelity().withinTolerance());
  }

  @Test
  void opset99ExitsWith3AndWritesNothing() throws Exception {
    Path model = tmp.resolve("opset99.onnx");
    Files.write(
        model,
        OnnxModels.toProto(TestModels.smallCnn(13)).toBuilder()
            .setOpsetImport(0, OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(99))
            .build()
            .toByteArray());
    Path out = tmp.resolve("out-99");
    Run r = edgeopt("ingest", model.toString(), "-o", out.toString());
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(r.err().contains("opset 99"), r.err());
    assertFalse(Files.exists(out));
  }
}
