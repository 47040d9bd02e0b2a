package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.testing.TestModels;
import org.edgeopt.quantize.QuantizationReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgeopt quantize} on the generated small CNN, with its calibration data as IDX files. */
class QuantizeCommandTest {
  static final String PRE = "scale=0.0078125,mean=1";

  @TempDir Path tmp;
  Path model;
  Path data;
  Path calibration;

  @BeforeEach
  void modelDataAndTable() throws Exception {
    model = tmp.resolve("small_cnn.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    data = Files.createDirectories(tmp.resolve("calibration"));
    writeIdx(data, 96, 8, 8);
    calibration = tmp.resolve("calibration.json");
    Dataset d = Datasets.open(data, Preprocessing.parse(PRE), null, null);
    minMax(OnnxModels.read(model), d, Hashes.sha256(model), Map.of("preprocess", PRE))
        .write(calibration);
  }

  @Test
  void int8PrintsTheLayerTableAndWritesModelAndReport() throws Exception {
    Path out = tmp.resolve("out/small_cnn.int8.onnx");
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "--calibration",
            calibration.toString(),
            "--data",
            data.toString(),
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("NODE"), r.out());
    assertTrue(
        r.out().matches("(?s).*\\nconv1 +Conv\\+Relu +\\d+\\.\\d +0\\.\\d+ +0 +no .*"), r.out());
    assertTrue(r.out().matches("(?s).*\\ndw +Conv\\+Clip .*"), r.out());
    assertTrue(
        r.out().matches("(?s).*\\nfc +Gemm +\\d+\\.\\d +- +- +no .*"), "float logits: " + r.out());
    assertTrue(r.out().contains("5 of 5 layers quantized, 0 kept in float; output SQNR"), r.out());
    assertTrue(r.out().contains("on 64 samples"), r.out());
    assertTrue(r.out().contains("wrote " + out), r.out());
    assertFalse(r.out().contains("warning"), "same model file, same SHA-256: " + r.out());
    Graph q = OnnxModels.read(out);
    OnnxChecker.check(q, out.toString());
    assertEquals(Hashes.sha256(model), q.info().metadata().get("edgeopt.input_model.sha256"));
    assertEquals(Hashes.sha256(calibration), q.info().metadata().get("edgeopt.calibration.sha256"));
    QuantizationReport report =
        QuantizationReport.read(tmp.resolve("out/small_cnn.int8.quantization.json"));
    assertEquals(5, report.layers().size());
    assertTrue(report.outputSqnrDb() > 30, "output SQNR " + report.outputSqnrDb());
  }

  @Test
  void excludeAndFallbackShowWhichLayersStayedFloatAndWhy() {
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "-c",
            calibration.toString(),
            "-d",
            data.toString(),
            "--exclude",
            "fc",
            "--fallback-sqnr",
            "200",
            "-q");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().matches("(?s).*\\nfc +Gemm .* yes +excluded \\(--exclude\\).*"), r.out());
    assertTrue(
        r.out()
            .contains(
                "0 of 5 layers quantized, 5 kept in float; output SQNR exact, top-1 agreement"),
        r.out());
    assertTrue(r.out().contains("fallback 1: added-noise SQNR"), r.out());
    assertTrue(r.out().contains("(budget met)"), r.out());
    assertFalse(r.out().contains("wrote"), "-q prints results only");
    assertTrue(
        Files.isRegularFile(tmp.resolve("small_cnn.int8.onnx")), "default output beside the model");
  }

  @Test
  void equalizationAndBiasCorrectionRunOnRequestAndAreReported() throws Exception {
    Path out = tmp.resolve("passes.int8.onnx");
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "-c",
            calibration.toString(),
            "-d",
            data.toString(),
            "--cle",
            "--adaround",
            "--bias-correction",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("crossLayerEqualization: "), r.out());
    assertTrue(r.out().contains("biasCorrection: "), r.out());
    QuantizationReport report =
        QuantizationReport.read(tmp.resolve("passes.int8.quantization.json"));
    assertEquals(
        List.of("crossLayerEqualization", "adaRound", "biasCorrection"),
        report.passes().stream().map(QuantizationReport.PassReport::name).toList());
    assertEquals(true, report.config().get("adaRound"));
    assertEquals(true, report.config().get("crossLayerEqualization"));
    assertEquals(true, report.config().get("biasCorrection"));
    assertTrue(
        report.passes().get(1).changes().stream().anyMatch(l -> l.startsWith("adaround conv1: ")),
        report.passes().toString());
    assertTrue(
        report.passes().get(2).changes().stream().anyMatch(l -> l.contains("conv1")),
        report.passes().toString());
  }

  @Test
  void smoothingRunsOnRequestWithTheDefaultAlphaAndIsReported() throws Exception {
    Path out = tmp.resolve("smooth.int8.onnx");
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "-c",
            calibration.toString(),
            "-d",
            data.toString(),
            "--smooth",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    QuantizationReport report =
        QuantizationReport.read(tmp.resolve("smooth.int8.quantization.json"));
    assertEquals(
        List.of("smoothQuant"),
        report.passes().stream().map(QuantizationReport.PassReport::name).toList());
    assertEquals(0.5, report.config().get("smoothAlpha"));
    assertTrue(
        report.passes().get(0).changes().stream().anyMatch(l -> l.contains("'fc'")),
        report.passes().toString());
  }

  @Test
  void smoothingAlphaOutsideZeroOneIsInvalidInput() {
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "-c",
            calibration.toString(),
            "-d",
            data.toString(),
            "--smooth",
            "1.5");
    assertEquals(3, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("--smooth: expected ALPHA within (0, 1), found 1.5"), r.err());
  }

  @Test
  void placementOverridesTheProfileAndAnUnknownOneIsInvalidInput() throws Exception {
    Path out = tmp.resolve("full/small_cnn.int8.onnx");
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "-c",
            calibration.toString(),
            "--placement",
            "fully-int8",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(
        Files.readString(tmp.resolve("full/small_cnn.int8.quantization.json"))
            .contains("fully-int8"));
    Run bad =
        edgeopt("quantize", model.toString(), "-c", calibration.toString(), "--placement", "all");
    assertEquals(3, bad.exitCode(), bad.out() + bad.err());
    assertTrue(
        bad.err().contains("--placement: expected qdqPlacement runtime-patterns or fully-int8"),
        bad.err());
  }

  @Test
  void equalizationWithoutDataIsInvalidInput() {
    Run r = edgeopt("quantize", model.toString(), "-c", calibration.toString(), "--cle");
    assertEquals(3, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("calibration data"), r.err());
  }

  @Test
  void fp16NeedsNoCalibration() throws Exception {
    Path out = tmp.resolve("half.onnx");
    Run r =
        edgeopt(
            "quantize",
            model.toString(),
            "--precision",
            "fp16",
            "-o",
            out.toString(),
            "--data",
            data.toString(),
            "--preprocess",
            PRE);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("output SQNR"), r.out());
    Graph half = OnnxModels.read(out);
    assertEquals(DataType.FLOAT, half.inputs().get(0).type().dataType());
    assertEquals(
        DataType.FLOAT16,
        half.initializers().get(half.node("conv1").orElseThrow().input(1)).dataType());
  }

  @Test
  void int8WithoutCalibrationIsAUsageError() {
    Run r = edgeopt("quantize", model.toString());
    assertEquals(2, r.exitCode());
    assertTrue(
        r.err().startsWith("edgeopt: --calibration is required for --precision int8"), r.err());
  }

  @Test
  void nanWeightsAreInvalidInputOnOneLine() throws Exception {
    GraphBuilder b = TestModels.smallCnn(13).toBuilder();
    float[] w = TestModels.smallCnn(13).initializers().get("fc.w").toFloats();
    w[2] = Float.NaN;
    b.addInitializer(Tensor.ofFloats("fc.w", new long[] {3, 4}, w));
    Path bad = tmp.resolve("nan.onnx");
    OnnxModels.write(b.build(), bad);
    Run r = edgeopt("quantize", bad.toString(), "-c", calibration.toString());
    assertEquals(3, r.exitCode());
    assertEquals(
        "edgeopt: "
            + bad
            + ": initializer 'fc.w' of Gemm 'fc' holds NaN at index 2: expected finite weights",
        r.err().strip());
    assertFalse(Files.exists(tmp.resolve("nan.int8.onnx")), "nothing written");
  }

  @Test
  void aTableOfAnotherModelIsInvalidInput() throws Exception {
    GraphBuilder b = new GraphBuilder("other", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 2)));
    b.add("Relu", "relu", List.of("x"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, 2)));
    Path other = tmp.resolve("other.json");
    Map<String, TensorRange> ranges = new LinkedHashMap<>();
    ranges.put("x", new TensorRange(-1, 1, -1, 1, "minmax", 1, 0));
    ranges.put("y", new TensorRange(0, 1, 0, 1, "minmax", 1, 0));
    new CalibrationTable(
            CalibrationTable.FORMAT_VERSION, "minmax", "0123", "4567", 1, Map.of(), ranges)
        .write(other);
    Run r = edgeopt("quantize", model.toString(), "-c", other.toString());
    assertEquals(3, r.exitCode());
    assertTrue(
        r.err()
            .startsWith(
                "edgeopt: "
                    + other
                    + ": calibrated on another model: none of its 2 tensors (e.g. 'x')"
                    + " is in "
                    + model),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  @Test
  void aPrecisionTheTargetDoesNotRunIsInvalid() {
    Run r = edgeopt("quantize", model.toString(), "--precision", "fp16", "--target", "edgetpu");
    assertEquals(3, r.exitCode());
    assertEquals(
        "edgeopt: target 'edgetpu' runs int8; --precision fp16 is not among them", r.err().strip());
  }

  /** Writes {@code count} seeded 8x8 images and labels as gzip IDX files. */
  static void writeIdx(Path dir, int count, int rows, int cols) throws IOException {
    java.util.Random rnd = new java.util.Random(11);
    try (DataOutputStream img =
            new DataOutputStream(
                new GZIPOutputStream(Files.newOutputStream(dir.resolve("images-idx3-ubyte.gz"))));
        DataOutputStream lab =
            new DataOutputStream(
                new GZIPOutputStream(Files.newOutputStream(dir.resolve("labels-idx1-ubyte.gz"))))) {
      img.writeInt(0x803);
      img.writeInt(count);
      img.writeInt(rows);
      img.writeInt(cols);
      lab.writeInt(0x801);
      lab.writeInt(count);
      for (int i = 0; i < count; i++) {
        for (int p = 0; p < rows * cols; p++) {
          img.writeByte(rnd.nextInt(256));
        }
        lab.writeByte(rnd.nextInt(3));
      }
    }
  }

  /** A minimal min/max calibration (every float tensor a graph output), standing in for the calibrate module. */
  static CalibrationTable minMax(
      Graph model, Dataset data, String modelSha, Map<String, String> provenance) throws Exception {
    Graph typed = OnnxChecker.inferShapes(model, "model");
    GraphBuilder b = typed.toBuilder();
    List<String> names = new ArrayList<>();
    for (Node n : typed.nodes()) {
      TensorType t = typed.type(n.output()).orElse(null);
      if (t != null && t.dataType() == DataType.FLOAT) {
        names.add(n.output());
        if (!typed.isOutput(n.output())) {
          b.addOutput(new Value(n.output(), t));
        }
      }
    }
    Map<String, float[]> range = new LinkedHashMap<>();
    String input = typed.inputs().get(0).name();
    try (InferenceSession s = OrtRuntime.get().open(b.build(), SessionOptions.defaults())) {
      Iterator<Batch> it = data.batches(32);
      while (it.hasNext()) {
        Tensor x = it.next().input().withName(input);
        update(range, input, x.toFloats());
        for (Map.Entry<String, Tensor> e : s.run(Map.of(input, x), names).entrySet()) {
          update(range, e.getKey(), e.getValue().toFloats());
        }
      }
    }
    Map<String, TensorRange> tensors = new LinkedHashMap<>();
    range.forEach(
        (k, r) ->
            tensors.put(k, new TensorRange(r[0], r[1], r[0], r[1], "minmax", data.size(), 0)));
    return new CalibrationTable(
        CalibrationTable.FORMAT_VERSION,
        "minmax",
        modelSha,
        "data",
        data.size(),
        provenance,
        tensors);
  }

  private static void update(Map<String, float[]> range, String name, float[] v) {
    float[] r =
        range.computeIfAbsent(
            name, k -> new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
    for (float f : v) {
      r[0] = Math.min(r[0], f);
      r[1] = Math.max(r[1], f);
    }
  }

  @Test
  void modelWithNoOutputsIsRefusedBeforeWritingAnything() throws Exception {
    Path bad = tmp.resolve("no-outputs.onnx");
    OnnxModels.write(TestModels.smallCnn(13).toBuilder().setOutputs(List.of()).build(), bad);
    Path out = tmp.resolve("no-outputs.int8.onnx");
    Run r =
        edgeopt(
            "quantize",
            bad.toString(),
            "--calibration",
            calibration.toString(),
            "-o",
            out.toString());
    assertEquals(3, r.exitCode(), r.err());
    assertEquals(
        "edgeopt: "
            + bad
            + ": the model has no outputs: expected at least one graph output"
            + System.lineSeparator(),
        r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void opset99ModelIsRefused() throws Exception {
    Path bad = tmp.resolve("opset99.onnx");
    Files.write(
        bad,
        OnnxModels.toProto(TestModels.smallCnn(13)).toBuilder()
            .setOpsetImport(
                0,
                ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(99))
            .build()
            .toByteArray());
    Path out = tmp.resolve("opset99.int8.onnx");
    Run r =
        edgeopt(
            "quantize",
            bad.toString(),
            "--calibration",
            calibration.toString(),
            "-o",
            out.toString());
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(
        r.err().contains("opset 99 of the default ONNX domain is not one edgeopt supports"),
        r.err());
    assertFalse(Files.exists(out));
  }
}
