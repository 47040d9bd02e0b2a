package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgeopt split} and {@code edgeopt cascade} on the Fashion-MNIST sample. */
class PlannerCommandsTest {
  @TempDir Path dir;

  @Test
  void splitWritesTheChosenPartsAndTheirManifest() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Path out = dir.resolve("split");
    Run r =
        edgeopt(
            "split",
            s.model().toString(),
            "--edge",
            "edgetpu",
            "--server",
            "tensorrt-ampere",
            "--uplink",
            "1Mbit/s",
            "--rtt",
            "5ms",
            "--wire",
            "int8",
            "--zstd",
            "--calibration-data",
            s.calibration().images().toString(),
            "--limit",
            "50",
            "--compress-samples",
            "4",
            "-o",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("break-even") && r.out().contains("<- chosen"), r.out());
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    assertEquals("int8", manifest.get("wire").asText());
    assertTrue(manifest.get("verification").get("passed").asBoolean());
    assertTrue(Files.exists(out.resolve("split.html")) && Files.exists(out.resolve("split.json")));
    assertTrue(r.out().contains("cuts: every valid cut: "), r.out());
    JsonNode cuts =
        new ObjectMapper().readTree(out.resolve("split.json").toFile()).get("cutEnumeration");
    assertTrue(cuts.get("complete").asBoolean(), cuts.toString());
    // The edge part is compiled for the Edge TPU (quantized with ranges calibrated on
    // --calibration-data) or the manifest says why not; the output prints the same line.
    JsonNode compiled = manifest.get("edgeCompiled");
    assertEquals("edgetpu", compiled.get("profile").asText());
    assertTrue(r.out().contains(compiled.get("note").asText()), r.out());
    for (JsonNode f : compiled.get("files")) {
      assertTrue(Files.isRegularFile(out.resolve(f.asText())), f.asText());
    }
  }

  @Test
  void splitRefusesInt8WithoutRanges() {
    SampleModel s = SampleModels.fashionMnist();
    Run r =
        edgeopt(
            "split",
            s.model().toString(),
            "--edge",
            "edgetpu",
            "--server",
            "tensorrt-ampere",
            "--wire",
            "int8",
            "-o",
            dir.resolve("x").toString());
    assertEquals(2, r.exitCode());
    assertFalse(Files.exists(dir.resolve("x").resolve("manifest.json")));
  }

  @Test
  void cascadeChoosesAThresholdOrSaysThereIsNone() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Path out = dir.resolve("cascade");
    Run ok =
        edgeopt(
            "cascade",
            "--small",
            s.model().toString(),
            "--large",
            s.model().toString(),
            "--small-cost",
            "2ms",
            "--large-cost",
            "25ms",
            "--min-accuracy",
            "0.88",
            "--recall-floor",
            "Trouser=0.8",
            "--limit",
            "500",
            "-o",
            out.toString());
    assertEquals(0, ok.exitCode(), ok.out() + ok.err());
    JsonNode json = new ObjectMapper().readTree(out.resolve("cascade.json").toFile());
    assertTrue(json.get("feasible").asBoolean());
    assertTrue(json.get("holdout").get("top1").get("lower").asDouble() >= 0.88);

    // The bundle signs cascade.json and records its rule; an infeasible cascade is refused.
    Path keys = dir.resolve("keys");
    assertEquals(0, edgeopt("keygen", "-o", keys.toString()).exitCode());
    Path bundle = dir.resolve("bundle.zip");
    Run p =
        edgeopt(
            "package",
            "--model",
            s.model().toString(),
            "--cascade",
            out.resolve("cascade.json").toString(),
            "--key",
            keys.resolve("edgeopt-signing.key").toString(),
            "-o",
            bundle.toString());
    assertEquals(0, p.exitCode(), p.err());
    assertTrue(p.out().contains("cascade: " + json.get("signal").asText() + " >= "), p.out());
    org.edgeopt.deploy.Manifest m =
        org.edgeopt.deploy.BundleVerifier.verify(
                bundle,
                org.edgeopt.deploy.SigningKeys.readPublic(
                    keys.resolve(org.edgeopt.deploy.SigningKeys.PUBLIC_FILE)))
            .manifest();
    assertEquals("cascade/cascade.json", m.cascade().entry());
    assertTrue(m.files().containsKey("cascade/cascade.json"));
    assertEquals(json.get("signal").asText(), m.cascade().signal());
    assertEquals(json.get("threshold").asDouble(), m.cascade().threshold(), 0);
    assertEquals(
        json.get("holdout").get("escalationRate").get("estimate").asDouble(),
        m.cascade().escalationRate(),
        0);

    // The monitor sets the field's escalation rate beside the cascade's: 400 records, 1 in 4
    // escalated.
    StringBuilder t = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      t.append("{\"device\":\"d")
          .append(i % 4)
          .append("\",\"ts\":")
          .append(1000L * i)
          .append(",\"predicted\":1,\"confidence\":0.9,\"escalated\":")
          .append(i % 4 == 0)
          .append("}\n");
    }
    Path telemetry = Files.writeString(dir.resolve("telemetry.jsonl"), t.toString());
    Run mon =
        edgeopt(
            "monitor",
            "--bundle",
            bundle.toString(),
            "--telemetry",
            telemetry.toString(),
            "--report",
            dir.resolve("monitor").toString());
    assertTrue(
        mon.out().contains("cascade  field escalation 25.0% [")
            && mon.out()
                .contains(
                    "of 400 records vs expected "
                        + String.format(
                            java.util.Locale.ROOT, "%.1f%%", 100 * m.cascade().escalationRate())),
        mon.out() + mon.err());
    assertTrue(
        Files.readString(dir.resolve("monitor/report.html"))
            .contains("25.00% of 400 logged predictions escalated"));
    Run none =
        edgeopt(
            "cascade",
            "--small",
            s.model().toString(),
            "--large",
            s.model().toString(),
            "--small-cost",
            "2ms",
            "--large-cost",
            "25ms",
            "--min-accuracy",
            "0.999",
            "--limit",
            "500",
            "-o",
            dir.resolve("none").toString());
    assertEquals(4, none.exitCode(), none.out());
    assertFalse(
        new ObjectMapper()
            .readTree(dir.resolve("none").resolve("cascade.json").toFile())
            .get("feasible")
            .asBoolean());
    Run refused =
        edgeopt(
            "package",
            "--model",
            s.model().toString(),
            "--cascade",
            dir.resolve("none").resolve("cascade.json").toString(),
            "--key",
            keys.resolve("edgeopt-signing.key").toString(),
            "-o",
            dir.resolve("none.zip").toString());
    assertEquals(3, refused.exitCode(), refused.out());
    assertTrue(refused.err().contains("the cascade has no threshold"), refused.err());
    assertFalse(Files.exists(dir.resolve("none.zip")));
  }
}
