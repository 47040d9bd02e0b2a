package org.edgeopt.prune;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.targets.TargetProfile;

/**
 * Decides which pruning a target gets, by asking its profile: 2:4 sparsity only pays on hardware
 * with sparse kernels, so elsewhere it costs accuracy for no speed and is refused.
 */
public final class SparsityPlanner {
  private SparsityPlanner() {}

  /**
   * Returns the mode to run for {@code requested} on {@code profile}.
   *
   * @param force run 2:4 even where the target does not exploit it
   * @throws EdgeoptException exit 5 ({@code incompatible}) with the profile's reason when 2:4 is
   *     asked for a target without sparse kernels and {@code force} is not set
   */
  public static PruneMode plan(TargetProfile profile, PruneMode requested, boolean force)
      throws EdgeoptException {
    return switch (requested) {
      case AUTO -> profile.exploits24Sparsity() ? PruneMode.TWO_FOUR : PruneMode.CHANNEL;
      case CHANNEL -> PruneMode.CHANNEL;
      case TWO_FOUR -> {
        if (!profile.exploits24Sparsity() && !force) {
          throw EdgeoptException.incompatible(
              "2:4 pruning refused for target "
                  + profile.name()
                  + ": "
                  + profile.sparsityReason()
                  + "; use --mode channel, or --force to prune anyway");
        }
        yield PruneMode.TWO_FOUR;
      }
    };
  }
}
