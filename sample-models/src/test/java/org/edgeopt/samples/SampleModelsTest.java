package org.edgeopt.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SampleModelsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static List<String> names() {
    return SampleModels.names();
  }

  @Test
  void namesListsBothSamples() {
    assertEquals(List.of("fashion-mnist", "digits-mlp"), SampleModels.names());
    assertEquals("fashion-mnist", SampleModels.fashionMnist().name());
    assertEquals("digits-mlp", SampleModels.digits().name());
    assertSame(SampleModels.digits(), SampleModels.get("digits-mlp"));
  }

  @Test
  void unknownNameIsAClearError() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SampleModels.get("cifar"));
    assertTrue(e.getMessage().contains("'cifar'"), e.getMessage());
    assertTrue(
        e.getMessage().contains("fashion-mnist") && e.getMessage().contains("digits-mlp"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SampleModels.get(null));
  }

  @ParameterizedTest
  @MethodSource("names")
  void everyFileIsARegularFileOnDisk(String name) throws IOException {
    SampleModel s = SampleModels.get(name);
    assertEquals(s.directory().resolve("model.onnx"), s.model());
    assertEquals(s.directory().resolve("model.pt"), s.torchscript());
    for (Path p : s.files()) {
      assertTrue(Files.isRegularFile(p), p + " is not a file");
      assertTrue(Files.size(p) > 0, p + " is empty");
    }
    assertEquals("classification", s.task());
    assertEquals("input", s.inputName());
    assertEquals("logits", s.outputName());
    assertEquals(10, s.classNames().size());
    assertEquals(-1L, s.inputShape().get(0));
    assertTrue(Files.size(s.model()) < 1_000_000, "model must stay under 1 MB");
  }

  @ParameterizedTest
  @MethodSource("names")
  void sha256InSampleJsonMatchesEveryFile(String name) throws IOException {
    SampleModel s = SampleModels.get(name);
    JsonNode sums = JSON.readTree(s.directory().resolve("sample.json").toFile()).get("sha256");
    Set<Path> hashed = new HashSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = sums.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Path p = s.directory().resolve(e.getKey());
      assertEquals(
          e.getValue().asText(),
          SampleModels.hex(SampleModels.sha256(Files.readAllBytes(p))),
          e.getKey());
      hashed.add(p);
    }
    for (Path p : s.files()) {
      assertTrue(
          p.endsWith("sample.json") || hashed.contains(p), p + " has no SHA-256 in sample.json");
    }
  }

  @Test
  void fashionMnistDescriptor() throws IOException {
    SampleModel s = SampleModels.fashionMnist();
    assertEquals(List.of(-1L, 1L, 28L, 28L), s.inputShape());
    assertArrayEquals(new long[] {-1, 1, 28, 28}, s.inputShapeArray());
    assertEquals("scale=0.00392156862745098,mean=0.2860,std=0.3530,layout=nchw", s.preprocess());
    assertEquals(
        List.of(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot"),
        s.classNames());
    assertEquals(DataSplit.Format.IDX, s.calibration().format());
    assertEquals(500, s.calibration().count());
    assertEquals(2000, s.holdout().count());
    assertNull(s.holdout().file());
    assertNull(s.holdout().labelColumn());
    assertEquals(2000, s.fp32HoldoutTotal());
    assertTrue(s.fp32HoldoutTop1() >= 0.90, "fp32 holdout top-1 " + s.fp32HoldoutTop1());
    JsonNode fp32 = JSON.readTree(s.directory().resolve("sample.json").toFile()).get("fp32");
    assertTrue(
        fp32.get("testSetTop1").asDouble() >= 0.91, "test-set top-1 " + fp32.get("testSetTop1"));
  }

  @Test
  void digitsDescriptor() {
    SampleModel s = SampleModels.digits();
    assertEquals(List.of(-1L, 64L), s.inputShape());
    assertEquals("scale=0.0625", s.preprocess());
    assertEquals(IntStream.range(0, 10).mapToObj(Integer::toString).toList(), s.classNames());
    assertEquals(DataSplit.Format.CSV, s.holdout().format());
    assertEquals("label", s.holdout().labelColumn());
    assertEquals("label", s.calibration().labelColumn());
    assertEquals(List.of(s.holdout().file()), s.holdout().files());
    assertEquals(s.holdout().count(), s.fp32HoldoutTotal());
    assertTrue(s.fp32HoldoutTop1() >= 0.9, "fp32 holdout top-1 " + s.fp32HoldoutTop1());
  }

  @Test
  void fashionIdxHeadersMatchCounts() throws IOException {
    SampleModel s = SampleModels.fashionMnist();
    for (DataSplit split : List.of(s.calibration(), s.holdout())) {
      byte[] images = gunzip(split.images());
      byte[] labels = gunzip(split.labels());
      try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(images))) {
        assertEquals(0x00000803, in.readInt(), "idx3 ubyte magic");
        assertEquals(split.count(), in.readInt(), split.images() + " count");
        assertEquals(28, in.readInt());
        assertEquals(28, in.readInt());
      }
      assertEquals(16 + split.count() * 28 * 28, images.length, split.images() + " length");
      try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(labels))) {
        assertEquals(0x00000801, in.readInt(), "idx1 ubyte magic");
        assertEquals(split.count(), in.readInt(), split.labels() + " count");
      }
      assertEquals(8 + split.count(), labels.length, split.labels() + " length");
      int[] perClass = new int[10];
      for (int i = 8; i < labels.length; i++) {
        int label = labels[i] & 0xff;
        assertTrue(label < s.classNames().size(), "label " + label);
        perClass[label]++;
      }
      for (int c = 0; c < 10; c++) {
        assertTrue(perClass[c] > 0, "class " + c + " absent from " + split.labels());
      }
    }
  }

  @Test
  void digitsCsvHeadersAndRowsMatchCounts() throws IOException {
    SampleModel s = SampleModels.digits();
    String header =
        IntStream.range(0, 64).mapToObj(i -> "f" + i).collect(Collectors.joining(",")) + ",label";
    for (DataSplit split : List.of(s.calibration(), s.holdout())) {
      List<String> lines = Files.readAllLines(split.file(), StandardCharsets.US_ASCII);
      assertEquals(header, lines.get(0));
      List<int[]> rows = parse(lines);
      assertEquals(split.count(), rows.size(), split.file() + " rows");
      for (int[] row : rows) {
        assertEquals(65, row.length);
        for (int i = 0; i < 64; i++) {
          assertTrue(row[i] >= 0 && row[i] <= 16, "feature " + row[i]);
        }
        assertTrue(row[64] >= 0 && row[64] <= 9, "label " + row[64]);
      }
    }
  }

  @Test
  void digitsCalibrationAndHoldoutAreDisjoint() throws IOException {
    SampleModel s = SampleModels.digits();
    Set<String> calibration = featureRows(s.calibration().file());
    Set<String> holdout = featureRows(s.holdout().file());
    assertEquals(s.calibration().count(), calibration.size(), "calibration rows are unique");
    assertEquals(s.holdout().count(), holdout.size(), "holdout rows are unique");
    Set<String> shared = new HashSet<>(calibration);
    shared.retainAll(holdout);
    assertTrue(shared.isEmpty(), shared.size() + " rows are in both calibration and holdout");
  }

  @Test
  void dataSplitChecksItsComponents() {
    Path p = Path.of("x");
    assertThrows(
        IllegalArgumentException.class,
        () -> new DataSplit(DataSplit.Format.IDX, p, null, null, 1, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new DataSplit(DataSplit.Format.CSV, null, null, p, 1, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new DataSplit(DataSplit.Format.CSV, null, null, p, -1, "label"));
    assertEquals(DataSplit.Format.CSV, DataSplit.Format.of("csv"));
    assertThrows(IllegalArgumentException.class, () -> DataSplit.Format.of("npy"));
  }

  private static byte[] gunzip(Path p) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
      return in.readAllBytes();
    }
  }

  private static List<int[]> parse(List<String> lines) {
    List<int[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (!line.isEmpty()) {
        rows.add(java.util.Arrays.stream(line.split(",")).mapToInt(Integer::parseInt).toArray());
      }
    }
    return rows;
  }

  private static Set<String> featureRows(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.US_ASCII);
    return parse(lines).stream()
        .map(r -> java.util.Arrays.toString(java.util.Arrays.copyOf(r, 64)))
        .collect(Collectors.toSet());
  }
}
