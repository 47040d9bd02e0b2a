package org.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.validate.ReportWriter;
import org.edgeopt.validate.ValidationReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model quantized for the VNNI profile, validated on whatever host runs the tests: the figures
 * are what a VNNI CPU computes (natively there, emulated with exact kernels on AVX2), and every
 * report says which, and names the host/target mismatch when there is one.
 */
class TargetArithmeticTest {
  @TempDir static Path dir;
  static SampleModel sample;
  static Path vnniModel;

  @BeforeAll
  static void quantizeForVnni() {
    sample = SampleModels.fashionMnist();
    Path calibration = dir.resolve("calibration.json");
    vnniModel = dir.resolve("model.vnni.onnx");
    Run cal =
        CliRun.edgeopt(
            "calibrate",
            "-q",
            sample.model().toString(),
            "--data",
            sample.calibration().images().toString(),
            "--preprocess",
            sample.preprocess(),
            "--method",
            "minmax",
            "-o",
            calibration.toString());
    assertEquals(0, cal.exitCode(), cal.err());
    Run q =
        CliRun.edgeopt(
            "quantize",
            "-q",
            sample.model().toString(),
            "-c",
            calibration.toString(),
            "--target",
            "onnxruntime-x86-vnni",
            "-o",
            vnniModel.toString());
    assertEquals(0, q.exitCode(), q.err());
  }

  private static ValidationReport validate(Path report, String... extra) throws Exception {
    String[] base = {
      "validate",
      "-q",
      "--reference",
      sample.model().toString(),
      "--candidate",
      vnniModel.toString(),
      "--latency-runs",
      "0",
      "--diagnosis-batches",
      "0",
      "--report",
      report.toString()
    };
    String[] args =
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
            .toArray(String[]::new);
    Run v = CliRun.edgeopt(args);
    assertEquals(0, v.exitCode(), v.out() + v.err());
    return ReportWriter.readJson(report.resolve(ReportWriter.JSON));
  }

  @Test
  void vnniFiguresAreTheSameOnEveryHostAndTheReportsSayWhereTheyCameFrom() throws Exception {
    Path report = dir.resolve("report-target");
    ValidationReport r = validate(report);
    // What a VNNI CPU computes for this model (exact int32 accumulation), measured natively on an
    // AVX-512 VNNI host: 93.25% top-1 (FP32 93.45%), 99.15% agreement. Any host must reproduce it.
    assertEquals(93.25, r.classification().candidateTop1(), 0.05);
    assertEquals(99.15, r.classification().agreementPercent(), 0.05);
    ValidationReport.Arithmetic a = r.arithmetic();
    HostCpu host = HostCpu.current();
    assertEquals("onnxruntime-x86-vnni", a.target());
    assertEquals("candidate metadata", a.targetSource());
    assertEquals(host.model(), a.hostCpu());
    assertEquals(host.flags(), a.hostFlags());
    assertEquals(2 * 255 * 127, a.worstCasePairSum());
    assertEquals(
        host.int8Kernel().saturatesPairs() ? "emulated for the target" : "native", a.figures());
    boolean mismatch = !TargetProfiles.get("onnxruntime-x86-vnni").cpuMismatch(host).isEmpty();
    assertEquals(mismatch, a.targetMismatch(), a.mismatch());
    String html = Files.readString(report.resolve(ReportWriter.HTML));
    String junit = Files.readString(report.resolve(ReportWriter.JUNIT));
    assertTrue(
        html.contains("id=\"arithmetic\"") && html.contains(a.figures()), "HTML names the figures");
    assertTrue(junit.contains("name=\"figures\" value=\"" + a.figures() + "\""), junit);
    assertTrue(junit.contains("name=\"host.isa\""), junit);
    if (mismatch) {
      assertTrue(html.contains("id=\"target-mismatch\""), "HTML names the host/target mismatch");
      assertTrue(junit.contains("name=\"target.mismatch\" value=\"host "), junit);
      assertTrue(
          Files.readString(report.resolve(ReportWriter.JSON)).contains("\"mismatch\" : \"host "));
    }
  }

  @Test
  void hostArithmeticOnAPairSaturatingHostIsNeverPassedSilently() throws Exception {
    ValidationReport r = validate(dir.resolve("report-host"), "--arithmetic", "host");
    ValidationReport.Arithmetic a = r.arithmetic();
    if (HostCpu.current().int8Kernel().saturatesPairs()) {
      assertEquals("host kernels, not the target's", a.figures());
      assertTrue(a.mismatch().contains("DIFFER"), a.mismatch());
    } else {
      assertEquals("native", a.figures());
      assertEquals(93.25, r.classification().candidateTop1(), 0.05);
    }
  }

  @Test
  void theModelCardSaysWhatInt8BuysOnEachProfile() throws Exception {
    Path out = dir.resolve("ingested");
    Run i = CliRun.edgeopt("ingest", "-q", sample.model().toString(), "-o", out.toString());
    assertEquals(0, i.exitCode(), i.err());
    String card = Files.readString(out.resolve("model-card.json"));
    assertTrue(card.contains("\"int8Speedup\""), card);
    assertTrue(card.contains("2.1-2.6x FP32 on AVX-512 VNNI"), card);
    Run t = CliRun.edgeopt("targets");
    assertTrue(
        t.out().contains("onnxruntime-x86-vnni") && t.out().contains("onnxruntime-arm64"), t.out());
  }
}
