package org.edgeopt.planners.cascade;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.planners.HostLatency;
import org.edgeopt.planners.split.Link;

/**
 * Runs two model files on a holdout, plans the cascade and writes {@code cascade.json} and
 * {@code cascade.html}: what {@code edgeopt cascade} and the pipeline's cascade stage run.
 */
public final class CascadeJob {
  /** The latency spec that asks for a measurement on this host. */
  public static final String MEASURED = "measured";

  private CascadeJob() {}

  /**
   * Plans and writes the cascade of {@code small} and {@code large}.
   *
   * @param smallCost the small model's latency ({@code 2ms}) or {@link #MEASURED}
   * @param largeCost the large model's latency ({@code 25ms}) or {@link #MEASURED}
   */
  public static CascadePlan run(
      Path small,
      Path large,
      Dataset data,
      int limit,
      String smallCost,
      String largeCost,
      CascadeConstraint constraint,
      List<String> classNames,
      int batchSize,
      Path out)
      throws EdgeoptException {
    SessionOptions one = SessionOptions.defaults().withThreads(1);
    CascadePlan plan;
    try (InferenceSession s = OrtRuntime.get().open(small, one);
        InferenceSession l = OrtRuntime.get().open(large, one)) {
      CascadeSamples answers = CascadeSamples.collect(s, l, data, limit, batchSize);
      Tensor first = firstSample(data);
      double smallSeconds = cost(smallCost, s, first);
      double largeSeconds = cost(largeCost, l, first);
      String source = "small " + source(smallCost) + ", large " + source(largeCost);
      plan =
          CascadePlanner.plan(
              answers,
              smallSeconds,
              largeSeconds,
              source,
              constraint,
              classNames == null ? List.of() : classNames);
    }
    try {
      CascadeArtifacts.write(plan, describe(small), describe(large), out);
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT, out + ": cannot write the cascade plan: " + e.getMessage(), e);
    }
    return plan;
  }

  private static String source(String spec) {
    return MEASURED.equals(spec) ? "measured here (median of 50 runs, batch 1, 1 thread)" : "given";
  }

  private static Tensor firstSample(Dataset data) throws EdgeoptException {
    Iterator<Batch> it = data.batches(1, 1);
    if (!it.hasNext()) {
      throw EdgeoptException.invalid(data.describe() + ": expected samples, found none");
    }
    return it.next().input();
  }

  private static double cost(String spec, InferenceSession s, Tensor sample)
      throws EdgeoptException {
    return MEASURED.equals(spec) ? HostLatency.median(s, sample, 10, 50) : Link.parseDuration(spec);
  }

  private static Map<String, String> describe(Path model) throws EdgeoptException {
    try {
      return Map.of("file", model.getFileName().toString(), "sha256", Hashes.sha256(model));
    } catch (IOException e) {
      throw EdgeoptException.invalid(model + ": cannot read the model: " + e.getMessage(), e);
    }
  }
}
