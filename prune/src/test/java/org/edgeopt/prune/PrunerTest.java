package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PrunerTest {
  private static final long[] SAMPLE = {3, 8, 8};
  private static Graph model;
  private static TensorDataset holdout;
  private static TensorDataset calibration;

  @BeforeAll
  static void data() throws Exception {
    model = PruneTestModels.mobileBlock();
    holdout = TensorDataset.labelledBy(model, SAMPLE, 400, 1, 2f);
    calibration = TensorDataset.labelledBy(model, SAMPLE, 200, 2, 2f);
  }

  @Test
  void twoFourForTensorRtStaysWithinBudgetAndEveryReportedLayerHasThePattern() throws Exception {
    PruneRequest r =
        PruneRequest.of(
                TargetProfiles.get("tensorrt-ampere"),
                PruneMode.AUTO,
                5.0,
                false,
                holdout,
                calibration)
            .withLatency(false);
    List<String> log = new ArrayList<>();
    PruneResult res = Pruner.prune(model, r, "mobile", log::add);
    PruneReport rep = res.report();
    System.out.println(rep.describe());
    assertEquals("2:4", rep.mode());
    assertEquals(100.0, rep.baselineTop1(), "teacher labels: the original is always right");
    assertTrue(rep.withinBudget(), rep.describe());
    List<String> pruned =
        rep.layers().stream().filter(LayerDecision::pruned).map(LayerDecision::name).toList();
    assertFalse(pruned.isEmpty(), rep.describe());
    for (String l : pruned) {
      assertTrue(SemiStructuredPruner.satisfies(res.graph(), l), l);
    }
    assertEquals(rep.macsBefore(), rep.macsAfter(), "2:4 keeps dense shapes");
    assertTrue(rep.effectiveMacsAfter() < rep.macsAfter());
    assertTrue(rep.nonZeroParametersAfter() < rep.parametersAfter());
    assertEquals("2:4", res.graph().info().metadata().get("edgeopt.sparsity"));
    assertTrue(
        rep.recovery().stream().anyMatch(t -> t.method().equals("bias-correction")),
        rep.describe());
    assertTrue(
        rep.recovery().stream().anyMatch(t -> t.method().equals("batchnorm-reestimation")),
        rep.describe());
    assertEquals(1, rep.recovery().stream().filter(RecoveryTrial::applied).count());
    assertFalse(log.isEmpty());
  }

  @Test
  void channelPruningShrinksShapesWithinBudget() throws Exception {
    PruneRequest r =
        PruneRequest.of(
                TargetProfiles.get("edgetpu"), PruneMode.AUTO, 5.0, false, holdout, calibration)
            .withLatency(true);
    PruneResult res = Pruner.prune(model, r, "mobile", s -> {});
    PruneReport rep = res.report();
    System.out.println(rep.describe());
    assertEquals("channel", rep.mode());
    assertTrue(rep.withinBudget(), rep.describe());
    assertTrue(rep.macsAfter() < rep.macsBefore(), rep.describe());
    assertTrue(rep.parametersAfter() < rep.parametersBefore());
    assertTrue(rep.layers().stream().anyMatch(LayerDecision::pruned), rep.describe());
    assertTrue(
        rep.latency() != null
            && rep.latency().beforeMedianMs() > 0
            && rep.latency().afterMedianMs() > 0);
    assertTrue(
        rep.recovery().stream().anyMatch(t -> t.method().equals("plain-removal")), rep.describe());
    assertTrue(rep.toJson().contains("\"macsBefore\""));
  }

  @Test
  void aZeroBudgetPrunesNothingThatCostsAccuracy() throws Exception {
    PruneRequest r =
        PruneRequest.of(
                TargetProfiles.get("tensorrt-ampere"),
                PruneMode.TWO_FOUR,
                0.0,
                false,
                holdout,
                null)
            .withLatency(false);
    PruneReport rep = Pruner.prune(model, r, "mobile", s -> {}).report();
    assertEquals(rep.baselineTop1(), rep.prunedTop1(), rep.describe());
  }

  @Test
  void twoFourForTheEdgeTpuIsRefusedWithExitFive() {
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Pruner.prune(
                    model,
                    PruneRequest.of(
                        TargetProfiles.get("edgetpu"),
                        PruneMode.TWO_FOUR,
                        1.0,
                        false,
                        holdout,
                        null),
                    "mobile",
                    s -> {}));
    assertEquals(ExitCode.INCOMPATIBLE, e.exitCode());
    assertTrue(e.getMessage().contains("no sparse kernels"), e.getMessage());
  }
}
