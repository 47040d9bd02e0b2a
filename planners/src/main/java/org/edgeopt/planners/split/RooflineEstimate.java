package org.edgeopt.planners.split;

import java.util.List;
import java.util.Locale;
import org.edgeopt.core.cost.LayerCosts;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.targets.TargetProfile;

/**
 * The modelled compute time of a run of nodes on a target: the sum of each node's roofline time
 * ({@link TargetProfile#rooflineSeconds}) with edgeopt's one cost model ({@link LayerCosts}),
 * counted the way the model card's target coverage counts it.
 *
 * @param profile the target
 * @param precision the precision the nodes run in on it
 */
public record RooflineEstimate(TargetProfile profile, String precision) {

  /** Returns the estimate for {@code profile} in FP32 where it has an FP32 peak, else its first precision with a peak. */
  public static RooflineEstimate of(TargetProfile profile) {
    if (profile.peakOpsPerSecond().containsKey("fp32")) {
      return new RooflineEstimate(profile, "fp32");
    }
    String p =
        profile.precisions().stream()
            .filter(profile.peakOpsPerSecond()::containsKey)
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "target profile '" + profile.name() + "' has no peak figure"));
    return new RooflineEstimate(profile, p);
  }

  /** Returns the modelled seconds of one batch-1 run of {@code nodes} of {@code g}. */
  public double seconds(Graph g, List<Node> nodes) {
    int elementBytes =
        switch (precision.toLowerCase(Locale.ROOT)) {
          case "int8" -> 1;
          case "fp16" -> 2;
          default -> 4;
        };
    double s = 0;
    for (Node n : nodes) {
      s +=
          profile.rooflineSeconds(
              LayerCosts.macs(g, n), LayerCosts.elementsMoved(g, n) * elementBytes, precision);
    }
    return s;
  }

  /** Returns how the figure was obtained, for reports: {@code roofline onnxruntime-cpu fp32}. */
  public String describe() {
    return "modelled: roofline of " + profile.name() + " at " + precision;
  }
}
