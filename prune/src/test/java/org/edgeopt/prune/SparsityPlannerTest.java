package org.edgeopt.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SparsityPlannerTest {
  @ParameterizedTest
  @ValueSource(strings = {"edgetpu", "onnxruntime-cpu"})
  void twoFourIsRefusedWithTheProfilesReasonWhereThereAreNoSparseKernels(String name)
      throws Exception {
    TargetProfile p = TargetProfiles.get(name);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> SparsityPlanner.plan(p, PruneMode.TWO_FOUR, false));
    assertEquals(ExitCode.INCOMPATIBLE, e.exitCode());
    assertTrue(e.getMessage().contains(p.sparsityReason()), e.getMessage());
    assertEquals(PruneMode.TWO_FOUR, SparsityPlanner.plan(p, PruneMode.TWO_FOUR, true));
    assertEquals(PruneMode.CHANNEL, SparsityPlanner.plan(p, PruneMode.AUTO, false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tensorrt-ampere", "tensorrt-jetson-orin"})
  void autoPicksTwoFourWhereTheTargetExploitsIt(String name) throws Exception {
    TargetProfile p = TargetProfiles.get(name);
    assertEquals(PruneMode.TWO_FOUR, SparsityPlanner.plan(p, PruneMode.AUTO, false));
    assertEquals(PruneMode.CHANNEL, SparsityPlanner.plan(p, PruneMode.CHANNEL, false));
  }

  @Test
  void modesParseFromTheCommandLine() throws Exception {
    assertEquals(PruneMode.TWO_FOUR, PruneMode.parse("2:4"));
    assertEquals(PruneMode.CHANNEL, PruneMode.parse(" Channel "));
    assertEquals(
        ExitCode.INVALID_INPUT,
        assertThrows(EdgeoptException.class, () -> PruneMode.parse("3:4")).exitCode());
  }
}
