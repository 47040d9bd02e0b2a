package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.Test;

/** A target profile's {@code quantizePasses} turn the optional passes on by default. */
class ProfilePassesTest {

  static TargetProfile withPasses(TargetProfile p, List<String> passes) {
    return p.withQuantizePasses(passes);
  }

  @Test
  void shippedProfilesTurnNoPassOnAndAProfileCan() throws Exception {
    for (String name : List.of("onnxruntime-cpu", "edgetpu", "onnxruntime-x86-vnni")) {
      QuantizeConfig c = QuantizeConfig.forTarget(TargetProfiles.get(name));
      assertFalse(c.crossLayerEqualization() || c.biasCorrection() || c.adaRound(), name);
    }
    TargetProfile p =
        withPasses(TargetProfiles.get("onnxruntime-cpu"), List.of("adaRound", "biasCorrection"));
    QuantizeConfig c = QuantizeConfig.forTarget(p);
    assertTrue(c.adaRound() && c.biasCorrection());
    assertFalse(c.crossLayerEqualization());
    assertFalse(c.withoutPasses().adaRound() || c.withoutPasses().biasCorrection());
  }

  @Test
  void unknownPassIsInvalidInput() throws Exception {
    TargetProfile p = withPasses(TargetProfiles.get("onnxruntime-cpu"), List.of("smoothing"));
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> QuantizeConfig.forTarget(p));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains("'smoothing'"), e.getMessage());
  }
}
