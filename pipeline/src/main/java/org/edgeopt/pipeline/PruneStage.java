package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.prune.PruneMode;
import org.edgeopt.prune.PruneRequest;
import org.edgeopt.prune.PruneResult;

/** The prune stage of the pipeline: target-aware pruning within the configured budget. */
final class PruneStage {
  private PruneStage() {}

  /** Returns whether the config asks for pruning at all. */
  static boolean enabled(PipelineConfig config, TargetProfile profile) {
    return !"none".equals(config.pruning().mode());
  }

  /** Prunes {@code model} into {@code out} and writes {@code pruning.json} beside it. */
  static StageState.Entry run(PipelineConfig config, TargetProfile profile, Path model, Path out)
      throws EdgeoptException, IOException {
    Preprocessing pre = Preprocessing.parse(config.preprocess());
    PruneRequest request =
        PruneRequest.of(
            profile,
            PruneMode.parse(config.pruning().mode()),
            config.pruning().budget(),
            false,
            Datasets.open(
                config.holdout().data(), pre, config.classes(), config.holdout().labelColumn()),
            Datasets.open(
                config.calibration().data(),
                pre,
                config.classes(),
                config.calibration().labelColumn()));
    Path report = out.resolveSibling("pruning.json");
    PruneResult r = Stages.prune(model, request, out, report, line -> {});
    return new StageState.Entry(
        "",
        List.of(out.toAbsolutePath().toString(), report.toAbsolutePath().toString()),
        r.report().describe());
  }
}
