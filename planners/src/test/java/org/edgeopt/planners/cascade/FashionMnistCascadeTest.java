package org.edgeopt.planners.cascade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.prune.ChannelGroup;
import org.edgeopt.prune.ChannelGroups;
import org.edgeopt.prune.ChannelPruner;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cascade of a channel-pruned Fashion-MNIST model (small: channel groups halved from the output
 * backwards until it is clearly weaker, no retraining) and the full sample (large), on the
 * 2,000-image holdout.
 */
class FashionMnistCascadeTest {
  static final int PROBE = 500;
  static CascadeSamples samples;
  static List<String> classes;

  @BeforeAll
  static void runBothModels() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    classes = s.classNames();
    Dataset holdout =
        Datasets.open(
            s.holdout().images(), Preprocessing.parse(s.preprocess()), s.classNames(), null);
    Graph large = OnnxModels.read(s.model());
    SessionOptions one = SessionOptions.defaults().withThreads(1);
    int largeCorrect;
    try (InferenceSession lg = OrtRuntime.get().open(large, one)) {
      largeCorrect = BatchRunner.correctTop1(lg, holdout, 250, PROBE);
    }
    // Halve channel groups from the output backwards (plain removal, no recovery) until the
    // pruned model is clearly weaker on the first samples: a real small model, not a copy.
    ChannelGroups groups = ChannelGroups.analyse(large, "fashion-mnist");
    List<ChannelGroup> prunable = groups.prunable();
    Map<Integer, int[]> keep = new HashMap<>();
    Graph small = large;
    for (int i = prunable.size() - 1; i >= 0; i--) {
      ChannelGroup g = prunable.get(i);
      keep.put(g.id(), IntStream.range(0, Math.max(1, g.channels() / 2)).toArray());
      small = ChannelPruner.prune(groups, keep, Map.of());
      try (InferenceSession sm = OrtRuntime.get().open(small, one)) {
        if (BatchRunner.correctTop1(sm, holdout, 250, PROBE) < largeCorrect - 0.03 * PROBE) {
          break;
        }
      }
    }
    try (InferenceSession sm = OrtRuntime.get().open(small, one);
        InferenceSession lg = OrtRuntime.get().open(large, one)) {
      samples = CascadeSamples.collect(sm, lg, holdout, Integer.MAX_VALUE, 250);
    }
  }

  @Test
  void meetsTheAccuracyFloorOnItsLowerBoundAtTheCheapestSuchThreshold(@TempDir Path dir)
      throws Exception {
    CascadeConstraint want = new CascadeConstraint(0.92, Double.NaN, Map.of(), 0.95);
    CascadePlan plan = CascadePlanner.plan(samples, 0.002, 0.025, "given", want, classes);
    System.out.println(CascadeArtifacts.summary(plan));
    assertEquals(2000, plan.samples());
    assertTrue(
        plan.smallAccuracy().estimate() < plan.largeAccuracy().estimate(),
        "the pruned model is the weaker one");
    assertTrue(plan.feasible());
    CascadePoint c = plan.chosen();
    assertTrue(c.accuracy().lower() >= 0.92, "the floor holds on the interval's lower bound");
    assertTrue(c.accuracy().estimate() >= 0.92);
    assertTrue(
        c.escalation().lower() <= c.escalation().estimate()
            && c.escalation().estimate() <= c.escalation().upper());
    assertTrue(c.escalation().estimate() < 1, "the cascade saves large-model calls");
    // No admitted threshold of the chosen signal escalates less.
    for (CascadePoint p : plan.curve().points()) {
      if (p.escalation().successes() < c.escalation().successes()) {
        assertFalse(want.admits(p), "a cheaper threshold also meets the floor: " + p.threshold());
      }
    }
    // The chosen signal's choice is at least as cheap as every other signal's.
    for (CascadeCurve curve : plan.curves()) {
      int pick = plan.choices().get(curve.signal());
      if (pick >= 0) {
        assertTrue(curve.points().get(pick).expectedSeconds() >= c.expectedSeconds());
      }
    }
    CascadeArtifacts.write(plan, Map.of("file", "small.onnx"), Map.of("file", "large.onnx"), dir);
    JsonNode json = new ObjectMapper().readTree(dir.resolve(CascadeArtifacts.JSON_FILE).toFile());
    assertEquals(plan.signal().id(), json.get("signal").asText());
    assertEquals(c.threshold(), json.get("threshold").asDouble());
    assertTrue(json.get("holdout").get("escalationRate").has("upper"));
  }

  @Test
  void curvesAreMonotoneWhereTheyMustBe() {
    CascadeConstraint any = new CascadeConstraint(0.5, Double.NaN, Map.of(), 0.95);
    CascadePlan plan = CascadePlanner.plan(samples, 0.002, 0.025, "given", any, classes);
    for (CascadeCurve curve : plan.curves()) {
      List<CascadePoint> pts = curve.points();
      assertEquals(
          samples.size(),
          pts.get(0).escalation().successes(),
          "an infinite threshold escalates everything");
      assertEquals(plan.largeAccuracy().successes(), pts.get(0).accuracy().successes());
      assertEquals(
          plan.smallAccuracy().successes(),
          pts.get(pts.size() - 1).accuracy().successes(),
          "the lowest threshold escalates nothing");
      assertEquals(0, pts.get(pts.size() - 1).escalation().successes());
      for (int i = 1; i < pts.size(); i++) {
        assertTrue(pts.get(i).threshold() < pts.get(i - 1).threshold());
        assertTrue(pts.get(i).escalation().successes() < pts.get(i - 1).escalation().successes());
        assertTrue(pts.get(i).expectedSeconds() < pts.get(i - 1).expectedSeconds());
        assertTrue(pts.get(i).escalation().upper() <= pts.get(i - 1).escalation().upper() + 1e-12);
      }
    }
  }

  @Test
  void recallFloorsAndEscalationCapsAreHonoured() {
    // Trouser (class 1) must keep a recall of at least 0.93 on the lower bound; at most 30%
    // escalated.
    CascadeConstraint want = new CascadeConstraint(Double.NaN, 0.30, Map.of(1, 0.93), 0.95);
    CascadePlan plan = CascadePlanner.plan(samples, 0.002, 0.025, "given", want, classes);
    System.out.println(CascadeArtifacts.summary(plan));
    assertTrue(plan.feasible());
    CascadePoint c = plan.chosen();
    assertTrue(c.escalation().upper() <= 0.30);
    assertTrue(c.recall().get(1).lower() >= 0.93);
    CascadeConstraint impossible = new CascadeConstraint(0.999, Double.NaN, Map.of(), 0.95);
    assertFalse(
        CascadePlanner.plan(samples, 0.002, 0.025, "given", impossible, classes).feasible());
  }

  @Test
  void exactIntervalsAtTheEdges() {
    Interval all = Interval.of(100, 100, 0.95);
    assertEquals(1.0, all.upper());
    assertEquals(Math.pow(0.025, 0.01), all.lower(), 1e-12);
    Interval some = Interval.of(50, 100, 0.95);
    assertTrue(some.lower() < 0.5 && some.upper() > 0.5);
    assertEquals(some.lower(), 1 - some.upper(), 1e-9);
  }
}
