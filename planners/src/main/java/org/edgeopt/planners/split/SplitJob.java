package org.edgeopt.planners.split;

import java.io.IOException;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;

/** Plans the split of a model file and writes the result: what {@code edgeopt split} and the pipeline's split stage run. */
public final class SplitJob {
  private SplitJob() {}

  /** The plan and what was written. */
  public record Outcome(SplitPlan plan, SplitArtifacts.Written written) {}

  /** Reads {@code model}, plans with {@code request} and writes the chosen parts into {@code out}. */
  public static Outcome run(Path model, SplitRequest request, Path out) throws EdgeoptException {
    return run(model, request, -1, out);
  }

  /**
   * As {@link #run(Path, SplitRequest, Path)}, writing cut number {@code cut} (as listed in the
   * plan) instead of the best one, or the best one when {@code cut} is negative.
   */
  public static Outcome run(Path model, SplitRequest request, int cut, Path out)
      throws EdgeoptException {
    Graph g = OnnxModels.read(model);
    String sha;
    try {
      sha = Hashes.sha256(model);
    } catch (IOException e) {
      throw EdgeoptException.invalid(model + ": cannot read the model: " + e.getMessage(), e);
    }
    SplitPlan best = SplitPlanner.plan(g, sha, request);
    SplitPlan plan = cut < 0 ? best : best.withChosen(cut);
    return new Outcome(
        plan, SplitArtifacts.write(plan, g, out, request.holdout(), request.limit()));
  }
}
