package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keygen}, {@code package}, {@code verify}, {@code monitor} and {@code canary} end to end on
 * a three-class identity classifier, with every exit code.
 */
class DeployCommandsTest {
  @TempDir static Path dir;
  static Path bundle;
  static Path keys;

  @BeforeAll
  static void packageABundle() throws Exception {
    Path model = dir.resolve("tiny.onnx");
    TensorType rows =
        new TensorType(
            DataType.FLOAT, new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(3, null))));
    GraphBuilder b = new GraphBuilder("tiny", 13);
    b.addInput(new Value("x", rows));
    b.add("Softmax", "probabilities", List.of("x"), List.of("p"));
    b.addOutput(new Value("p", rows));
    OnnxModels.write(b.build(), model);
    // 300 holdout rows: confident predictions spread over three classes, labels right nine times in
    // ten.
    StringBuilder csv = new StringBuilder("f0,f1,f2,label\n");
    Random r = new Random(3);
    for (int i = 0; i < 300; i++) {
      int c = i % 3;
      double[] f = {0, 0, 0};
      f[c] = 3 + r.nextGaussian() * 0.5;
      csv.append(f[0])
          .append(',')
          .append(f[1])
          .append(',')
          .append(f[2])
          .append(',')
          .append(i % 10 == 0 ? (c + 1) % 3 : c)
          .append('\n');
    }
    Path holdout = dir.resolve("holdout.csv");
    Files.writeString(holdout, csv);
    keys = dir.resolve("keys");
    Run k = edgeopt("keygen", "-o", keys.toString());
    assertEquals(0, k.exitCode(), k.err());
    assertEquals(
        3, edgeopt("keygen", "-o", keys.toString()).exitCode(), "an existing key is not replaced");
    bundle = dir.resolve("tiny.bundle.zip");
    Run p =
        edgeopt(
            "package",
            "--model",
            model.toString(),
            "--holdout",
            holdout.toString(),
            "--classes",
            "a,b,c",
            "--model-version",
            "2.0.0",
            "--key",
            keys.resolve("edgeopt-signing.key").toString(),
            "-o",
            bundle.toString());
    assertEquals(0, p.exitCode(), p.err());
    assertTrue(p.out().startsWith("packaged tiny 2.0.0 for onnxruntime-cpu"), p.out());
  }

  @Test
  void verifyPassesAnIntactBundleAndNamesATamperedFile() throws Exception {
    String pub = keys.resolve("edgeopt-signing.pub").toString();
    Run ok = edgeopt("verify", bundle.toString(), "--key", pub);
    assertEquals(0, ok.exitCode(), ok.err());
    assertTrue(ok.out().startsWith("OK  "), ok.out());
    byte[] bytes = Files.readAllBytes(bundle);
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    bytes[text.indexOf("\"meanConfidence\"") + 20] ^= 1;
    Path bad = dir.resolve("tampered.zip");
    Files.write(bad, bytes);
    Run tampered = edgeopt("verify", bad.toString(), "--key", pub);
    assertEquals(3, tampered.exitCode());
    assertTrue(tampered.err().contains("baseline.json"), tampered.err());
    Run other = edgeopt("keygen", "-o", dir.resolve("other").toString());
    assertEquals(0, other.exitCode());
    Run wrong =
        edgeopt(
            "verify",
            bundle.toString(),
            "--key",
            dir.resolve("other/edgeopt-signing.pub").toString());
    assertEquals(3, wrong.exitCode());
    assertTrue(wrong.err().contains("signature.json"), wrong.err());
  }

  @Test
  void monitorExitsFourNamingTheDriftedDevice() throws Exception {
    Path telemetry = dir.resolve("fleet.jsonl");
    StringBuilder sb = new StringBuilder();
    Random r = new Random(5);
    for (int i = 0; i < 600; i++) {
      // dev-ok predicts like the holdout (the softmax of the same logits); dev-bad sees class c
      // (index 2) almost always, less sure.
      boolean bad = i % 2 == 1;
      int cls = bad ? (i % 10 == 1 ? 0 : 2) : (i / 2) % 3;
      double x = 3 + 0.5 * r.nextGaussian();
      double conf = bad ? 0.5 + 0.1 * r.nextDouble() : Math.exp(x) / (Math.exp(x) + 2);
      sb.append(
          String.format(
              java.util.Locale.ROOT,
              "{\"device\":\"%s\",\"ts\":\"2026-12-01T00:%02d:00Z\",\"predicted\":%d,\"confidence\":%.4f,\"sampleId\":\"s%d\"}%n",
              bad ? "dev-bad" : "dev-ok",
              i % 60,
              cls,
              conf,
              i));
    }
    Files.writeString(telemetry, sb);
    Path report = dir.resolve("monitor");
    Path thresholds = dir.resolve("thresholds.yaml");
    Files.writeString(thresholds, "minSamples: 100\n");
    Run m =
        edgeopt(
            "monitor",
            "--bundle",
            bundle.toString(),
            "--key",
            keys.resolve("edgeopt-signing.pub").toString(),
            "--telemetry",
            telemetry.toString(),
            "--thresholds",
            thresholds.toString(),
            "--report",
            report.toString());
    assertEquals(4, m.exitCode(), m.out() + m.err());
    assertTrue(m.out().contains("drifted  dev-bad"), "out: " + m.out() + " err: " + m.err());
    assertTrue(!m.out().contains("drifted  dev-ok"), m.out());
    assertTrue(
        Files.exists(report.resolve("report.html")) && Files.exists(report.resolve("junit.xml")));
  }

  @Test
  void canaryRefusesTooFewRecordsAndMalformedTelemetry() throws Exception {
    Path few = dir.resolve("few.csv");
    Files.writeString(few, "device,ts,predicted,confidence\nd1,1,0,0.9\n");
    Run r =
        edgeopt(
            "canary", "--baseline-telemetry", few.toString(), "--canary-telemetry", few.toString());
    assertEquals(3, r.exitCode());
    assertTrue(r.err().contains("expected at least 1000"), r.err());
    Path broken = dir.resolve("broken.csv");
    Files.writeString(broken, "device,ts,predicted,confidence\nd1,1,0,1.5\n");
    Run b =
        edgeopt(
            "canary",
            "--baseline-telemetry",
            broken.toString(),
            "--canary-telemetry",
            few.toString());
    assertEquals(3, b.exitCode());
    assertTrue(b.err().contains("broken.csv:2: field 'confidence'"), b.err());
  }
}
