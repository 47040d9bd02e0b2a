package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrateCommandTest {
  @TempDir Path tmp;
  private Path model;
  private Path data;

  @BeforeEach
  void smallCnnAndSeededInputs() throws IOException {
    model = tmp.resolve("small.onnx");
    OnnxModels.write(TestModels.smallCnn(13), model);
    data = tmp.resolve("data");
    Files.createDirectories(data);
    Tensor x = TestModels.smallCnnInput(7, 48);
    writeNpy(data.resolve("x.npy"), "<f4", x.dims(), x.data());
    ByteBuffer labels = ByteBuffer.allocate(8 * 48).order(ByteOrder.LITTLE_ENDIAN);
    writeNpy(data.resolve("labels.npy"), "<i8", new long[] {48}, labels);
  }

  /** Writes a NumPy {@code .npy} v1.0 file: magic, a header padded to 64 bytes, raw little-endian data. */
  static void writeNpy(Path file, String descr, long[] shape, ByteBuffer raw) throws IOException {
    String dims =
        Arrays.stream(shape).mapToObj(Long::toString).reduce((a, b) -> a + ", " + b).orElse("")
            + (shape.length == 1 ? "," : "");
    StringBuilder header =
        new StringBuilder(
            "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }");
    while ((10 + header.length() + 1) % 64 != 0) {
      header.append(' ');
    }
    header.append('\n');
    byte[] h = header.toString().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b =
        ByteBuffer.allocate(10 + h.length + raw.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93)
        .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
        .put((byte) 1)
        .put((byte) 0)
        .putShort((short) h.length);
    b.put(h).put(raw.duplicate());
    Files.write(file, b.array());
  }

  @Test
  void trtCacheUnderARegularFileExits3AndLeavesNoTableBehind() throws IOException {
    Path out = tmp.resolve("out/calibration.json");
    Path blocker = tmp.resolve("out/not-a-folder");
    Files.createDirectories(blocker.getParent());
    Files.writeString(blocker, "a file, so nothing can be written under it");
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "--samples",
            "16",
            "--trt-cache",
            blocker.resolve("calibration.cache").toString(),
            "-o",
            out.toString());
    assertEquals(3, r.exitCode(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out), "the table is not left behind");
    try (var s = Files.list(blocker.getParent())) {
      assertEquals(
          List.of("not-a-folder"),
          s.map(p -> p.getFileName().toString()).toList(),
          "no temp files");
    }
  }

  @Test
  void writesTheTableAndTheTensorRtCache() throws EdgeoptException, IOException {
    Path out = tmp.resolve("out/calibration.json");
    Path cache = tmp.resolve("out/calibration.cache");
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "--method",
            "entropy",
            "--samples",
            "32",
            "--batch-size",
            "8",
            "--trt-cache",
            cache.toString(),
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals("", r.err());
    assertTrue(
        r.out()
            .startsWith(
                "calibrated 10 tensors on 32 samples with entropy (target onnxruntime-cpu) in "),
        r.out());
    assertTrue(r.out().contains("-> " + out), r.out());
    CalibrationTable t = CalibrationTable.read(out);
    assertEquals("entropy", t.method());
    assertEquals(32, t.samples());
    assertEquals(10, t.tensors().size());
    assertEquals("8", t.provenance().get("config.batchSize"));
    List<String> lines = Files.readAllLines(cache);
    assertEquals("TRT-100600-EntropyCalibration2", lines.get(0));
    assertEquals(11, lines.size(), "a header and one line per tensor");
    assertTrue(
        lines.stream().skip(1).allMatch(l -> l.matches(".+: [0-9a-f]{8}")), lines.toString());
  }

  @Test
  void theTargetChoosesTheDefaultMethod() throws EdgeoptException {
    Path out = tmp.resolve("trt.json");
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "--target",
            "tensorrt-ampere",
            "-q",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    String expected = TargetProfiles.get("tensorrt-ampere").defaultCalibration();
    assertEquals(expected, CalibrationTable.read(out).method());
    assertEquals(48, CalibrationTable.read(out).samples(), "all samples by default");
  }

  @Test
  void verboseRunsPrintEveryRange() {
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "--method",
            "minmax",
            "-v",
            "-o",
            tmp.resolve("v.json").toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("TENSOR"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("logits ")), r.out());
  }

  private static void assertOneLineError(Run r, String expectedMessage) {
    assertEquals(3, r.exitCode(), r.err());
    assertEquals("edgeopt: " + expectedMessage + System.lineSeparator(), r.err());
  }

  @Test
  void emptyDataFolderIsInvalidInput() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            empty.toString(),
            "-o",
            tmp.resolve("x.json").toString());
    assertOneLineError(
        r,
        empty
            + ": the data folder is empty: expected IDX, .npy or CSV files, or one image subfolder per class");
    assertFalse(Files.exists(tmp.resolve("x.json")), "nothing is written for bad input");
  }

  @Test
  void imagesOfTheWrongSizeAreInvalidInput() throws IOException {
    Path images = tmp.resolve("images");
    for (String cls : List.of("a", "b")) {
      Files.createDirectories(images.resolve(cls));
      BufferedImage img = new BufferedImage(5, 5, BufferedImage.TYPE_BYTE_GRAY);
      ImageIO.write(img, "png", images.resolve(cls).resolve("1.png").toFile());
    }
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            images.toString(),
            "--preprocess",
            "channels=gray",
            "-o",
            tmp.resolve("x.json").toString());
    assertOneLineError(
        r,
        "image folder "
            + images
            + " (2 images): samples are [1, 5, 5] after preprocessing, but input 'input'"
            + " of "
            + model
            + " expects [batch, 1, 8, 8] (batch first): adjust --preprocess (resize, crop, channels, layout)");
  }

  @Test
  void missingLabelsAreInvalidInput() throws IOException {
    Files.delete(data.resolve("labels.npy"));
    Run r =
        edgeopt(
            "calibrate",
            model.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "-o",
            tmp.resolve("x.json").toString());
    assertOneLineError(
        r,
        data.resolve("x.npy")
            + ": labels missing: expected a labels .npy beside it ("
            + data.resolve("labels.npy")
            + ")");
  }

  @Test
  void nanWeightsAreInvalidInput() throws IOException {
    float[] w = TestModels.random(5, 12, 1f);
    w[7] = Float.NaN;
    Graph broken =
        TestModels.smallCnn(13).toBuilder()
            .addInitializer(Tensor.ofFloats("fc.w", new long[] {3, 4}, w))
            .build();
    Path bad = tmp.resolve("nan.onnx");
    OnnxModels.write(broken, bad);
    Run r =
        edgeopt(
            "calibrate",
            bad.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "-o",
            tmp.resolve("x.json").toString());
    assertOneLineError(
        r,
        bad
            + ": weight 'fc.w' holds NaN at element 7 of 12: expected finite numbers; the model file is corrupt"
            + " or was exported from a diverged training run");
  }

  @Test
  void unknownMethodIsAUsageError() {
    Run r = edgeopt("calibrate", model.toString(), "--data", data.toString(), "--method", "kl");
    assertEquals(2, r.exitCode());
    assertTrue(
        r.err()
            .startsWith(
                "edgeopt: --method: expected minmax, percentile, entropy or mse, found 'kl'"),
        r.err());
    assertEquals(
        1, r.err().strip().lines().count(), "one line, the help hint included: " + r.err());
  }

  @Test
  void modelWithNoOutputsIsRefusedBeforeWritingAnything() throws IOException {
    Graph noOutputs = TestModels.smallCnn(13).toBuilder().setOutputs(List.of()).build();
    Path bad = tmp.resolve("no-outputs.onnx");
    OnnxModels.write(noOutputs, bad);
    Path out = tmp.resolve("no-outputs.json");
    Run r =
        edgeopt(
            "calibrate",
            bad.toString(),
            "--data",
            data.resolve("x.npy").toString(),
            "-o",
            out.toString());
    assertOneLineError(r, bad + ": the model has no outputs: expected at least one graph output");
    assertFalse(Files.exists(out), "nothing is written for bad input");
  }
}
