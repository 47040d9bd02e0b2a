package org.edgeopt.planners.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.planners.HostLatency;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split planner on the bundled Fashion-MNIST sample (a MobileNet-style CNN with residual
 * blocks), every cut run in real ONNX Runtime sessions on 200 holdout images.
 */
class FashionMnistSplitTest {
  static final int SAMPLES = 200;
  static Graph model;
  static Dataset holdout;
  static SplitPlan plan;

  @BeforeAll
  static void planOnce() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    holdout = Datasets.open(s.holdout().images(), pre, s.classNames(), null);
    Dataset calibration = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    model = OnnxModels.read(s.model());
    // A slow device (the Edge TPU profile at 1 GB/s) and a short round trip, so that the best cut
    // really moves with bandwidth: cloud-only on fast links, edge-only on slow ones.
    SplitRequest r =
        new SplitRequest(
            TargetProfiles.get("edgetpu"),
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.001),
            new Encoding(WireFormat.INT8, true),
            holdout,
            SAMPLES,
            null,
            calibration,
            1.0,
            16,
            100,
            0);
    plan = SplitPlanner.plan(model, "", r);
    System.out.print(SplitReport.text(plan));
  }

  @Test
  void listsEveryValidCutAndSendsBothTensorsOfAResidualBlock() throws Exception {
    List<CutCost> c = plan.costs();
    assertTrue(plan.enumeration().complete(), plan.enumeration().describe());
    assertTrue(c.get(0).cut().cloudOnly());
    assertEquals(List.of(model.inputs().get(0).name()), c.get(0).cut().tensors());
    assertTrue(c.get(c.size() - 1).cut().edgeOnly());
    assertEquals(List.of(), c.get(c.size() - 1).cut().tensors());
    assertTrue(
        c.stream().anyMatch(k -> k.cut().tensors().size() == 2),
        "a cut inside a residual block sends two tensors");
    // A chain whose skip connections have no nodes: one cut per compute node, plus cloud-only.
    assertEquals(c.get(0).cut().computeNodes() + 1, c.size());
    assertEquals(58, c.size());
    Set<List<String>> sent = new HashSet<>();
    c.forEach(k -> assertTrue(sent.add(k.cut().tensors()), "listed twice: " + k.cut().label()));
    // Every cut of the topological order (what a cap of 0 falls back to) is among them.
    for (Cut prefix : CutEnumerator.enumerate(SplitPlanner.withShapes(model), 0).cuts()) {
      assertTrue(sent.contains(prefix.tensors()), prefix.label());
    }
    // A larger edge part never takes less edge time.
    for (CutCost small : c) {
      for (CutCost large : c) {
        if (large.cut().edgeNodes().containsAll(small.cut().edgeNodes())) {
          assertTrue(large.edgeSeconds() >= small.edgeSeconds(), large.cut().label());
        }
      }
    }
  }

  @Test
  void edgeThenServerReproducesTheWholeModelAtEveryCut() {
    for (int i = 0; i < plan.costs().size(); i++) {
      CutCheck k = plan.checks().get(i);
      String where = "#" + i + " " + plan.costs().get(i).cut().label();
      assertEquals(SAMPLES, k.samples());
      assertTrue(
          k.fp32MaxAbsDiff() <= SplitRequest.FP32_TOLERANCE, where + ": " + k.fp32MaxAbsDiff());
      assertTrue(
          k.int8Agreement() >= SplitRequest.INT8_MIN_AGREEMENT,
          where + ": int8 agreement " + k.int8Agreement());
    }
  }

  @Test
  void wireSizesAreExactForRawAndSmallerForInt8AndZstd() {
    for (CutCost c : plan.costs()) {
      if (c.cut().edgeOnly()) {
        continue;
      }
      double fp32 = c.bytes(new Encoding(WireFormat.FP32, false));
      assertEquals(4.0 * c.elements(), fp32);
      assertEquals(2.0 * c.elements(), c.bytes(new Encoding(WireFormat.FP16, false)));
      assertEquals(
          c.elements() + WireFormat.INT8_PARAMETER_BYTES * c.cut().tensors().size(),
          c.bytes(new Encoding(WireFormat.INT8, false)));
      assertTrue(c.bytes(new Encoding(WireFormat.INT8, true)) < fp32, c.cut().label());
    }
  }

  @Test
  void chosenCutIsTheBruteForceMinimumOnEveryLinkAndBreakEvensAgree() {
    Encoding e = plan.request().encoding();
    double rtt = plan.request().link().rttSeconds();
    List<Integer> admissible = new ArrayList<>();
    for (int i = 0; i < plan.costs().size(); i++) {
      if (plan.admissible().get(i)) {
        admissible.add(i);
      }
    }
    for (double mbit : new double[] {0.1, 1, 3, 10, 30, 100, 1000}) {
      Link link = new Link(mbit * 1e6, rtt);
      double min =
          admissible.stream()
              .mapToDouble(i -> plan.costs().get(i).totalSeconds(e, link))
              .min()
              .orElseThrow();
      int best = plan.sweep().best(link.uplinkBitsPerSecond());
      assertTrue(admissible.contains(best));
      assertEquals(min, plan.costs().get(best).totalSeconds(e, link), 1e-12, mbit + " Mbit/s");
    }
    Link asked = plan.request().link();
    assertEquals(plan.chosen(), plan.sweep().best(asked.uplinkBitsPerSecond()));
    for (double bw : new double[] {1e6, 10e6, 100e6}) {
      int best = plan.bestPerLink().get(bw).get(e.id());
      Link link = new Link(bw, rtt);
      double min =
          admissible.stream()
              .mapToDouble(i -> plan.costs().get(i).totalSeconds(e, link))
              .min()
              .orElseThrow();
      assertEquals(min, plan.costs().get(best).totalSeconds(e, link), 1e-12);
    }
    assertFalse(
        plan.sweep().breakEvens().isEmpty(),
        "with a slow device the best cut must move with bandwidth");
    for (LinkSweep.BreakEven b : plan.sweep().breakEvens()) {
      Link above = new Link(b.bitsPerSecond() * 1.001, rtt);
      Link below = new Link(b.bitsPerSecond() / 1.001, rtt);
      assertTrue(
          plan.costs().get(b.faster()).totalSeconds(e, above)
              <= plan.costs().get(b.slower()).totalSeconds(e, above));
      assertTrue(
          plan.costs().get(b.slower()).totalSeconds(e, below)
              <= plan.costs().get(b.faster()).totalSeconds(e, below));
    }
  }

  @Test
  void writesCheckedPartsThatReproduceTheModel(@TempDir Path dir) throws Exception {
    SplitArtifacts.Written w = SplitArtifacts.write(plan, model, dir, holdout, SAMPLES);
    assertTrue(w.check().passed());
    assertTrue(w.check().agreement() >= SplitRequest.INT8_MIN_AGREEMENT);
    JsonNode manifest =
        new ObjectMapper().readTree(dir.resolve(SplitArtifacts.MANIFEST_FILE).toFile());
    assertEquals("int8", manifest.get("wire").asText());
    assertEquals(plan.chosenCost().cut().label(), manifest.get("cut").asText());
    for (String f : new String[] {SplitArtifacts.PLAN_FILE, SplitArtifacts.PAGE_FILE}) {
      assertTrue(Files.size(dir.resolve(f)) > 0, f);
    }
    String html = Files.readString(dir.resolve(SplitArtifacts.PAGE_FILE));
    assertTrue(html.contains("<svg"));
    assertTrue(
        html.contains("Cuts listed: every valid cut: 58 distinct tensor sets"),
        "the page says how cuts were found");
    assertFalse(
        html.replace("http://www.w3.org/2000/svg", "").matches("(?s).*https?://.*"),
        "the page is self-contained");
    Cut cut = plan.chosenCost().cut();
    if (!cut.cloudOnly()) {
      OnnxChecker.check(OnnxModels.read(dir.resolve(SplitArtifacts.EDGE_FILE)), "edge");
    }
    if (!cut.edgeOnly()) {
      OnnxChecker.check(OnnxModels.read(dir.resolve(SplitArtifacts.SERVER_FILE)), "server");
    }
  }

  @Test
  void hostMeasuredTimesReplaceTheRooflineOnlyForAProfileOfThisHost() throws Exception {
    TargetProfile cpu = TargetProfiles.get("onnxruntime-cpu");
    assumeTrue(
        HostLatency.describesThisHost(cpu),
        "onnxruntime-cpu does not describe this host: " + cpu.cpuMismatch(HostCpu.current()));
    SplitRequest r =
        new SplitRequest(
            cpu,
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.005),
            new Encoding(WireFormat.FP32, false),
            holdout,
            20,
            null,
            null,
            Double.NaN,
            0,
            20,
            3);
    SplitPlan measured = SplitPlanner.plan(model, "", r);
    assertTrue(
        measured.edgeEstimate().startsWith("measured on this host"), measured.edgeEstimate());
    assertTrue(
        measured.serverEstimate().startsWith("modelled"), "a TensorRT server is not this host");
    assertEquals(0.0, measured.costs().get(0).edgeSeconds(), "cloud-only runs nothing on the edge");
    for (CutCost c : measured.costs().subList(1, measured.costs().size())) {
      assertTrue(c.edgeSeconds() > 0, c.cut().label());
    }
  }

  @Test
  void fp32PartsAtAResidualCutReproduceTheModelBitForBitWithinTolerance() throws Exception {
    Graph g = SplitPlanner.withShapes(model);
    Cut residual =
        plan.costs().stream()
            .map(CutCost::cut)
            .filter(c -> c.tensors().size() == 2)
            .findFirst()
            .orElseThrow();
    PartsCheck check =
        PartsVerifier.verify(
            g,
            GraphSplitter.edgePart(g, residual, WireFormat.FP32, Map.of()),
            GraphSplitter.serverPart(g, residual, WireFormat.FP32, Map.of()),
            residual,
            WireFormat.FP32,
            Map.of(),
            holdout,
            200,
            100);
    assertTrue(check.passed(), check.toString());
    assertTrue(check.maxAbsDiff() <= SplitRequest.FP32_TOLERANCE);
  }
}
