package org.edgeopt.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.deploy.BundlePackager;
import org.edgeopt.deploy.Manifest;
import org.edgeopt.deploy.PackageRequest;

/** The package stage of the pipeline: a signed deployment bundle of the validated artifact. */
final class PackageStage {
  private PackageStage() {}

  /** Returns the bundle file the config asks for: {@code bundle.zip} in the output folder by default. */
  static Path bundle(PipelineConfig config, Path out) {
    return config.packaging().bundle() != null
        ? config.packaging().bundle()
        : out.resolve("bundle.zip");
  }

  /**
   * Returns the cascade.json the pipeline's cascade stage wrote beside the validation report, when
   * the config has a {@code cascade:} section: the bundle then carries the threshold the devices
   * apply (an infeasible cascade is refused by the packager, naming the file).
   */
  static Path cascade(PipelineConfig config, Path validation) {
    if (config.cascade() == null) {
      return null;
    }
    Path file = validation.toAbsolutePath().getParent().resolve("cascade").resolve("cascade.json");
    return Files.isRegularFile(file) ? file : null;
  }

  /** Packages {@code candidate} with its calibration table and validation report into {@code bundle}. */
  static StageState.Entry run(
      PipelineConfig config,
      TargetProfile profile,
      Path candidate,
      Path calibration,
      Path validation,
      Path bundle)
      throws EdgeoptException {
    PipelineConfig.Packaging p = config.packaging();
    String file = config.model().getFileName().toString();
    String name =
        p.name() != null
            ? p.name()
            : file.contains(".") ? file.substring(0, file.indexOf('.')) : file;
    Manifest m =
        BundlePackager.write(
            new PackageRequest(
                candidate,
                List.of(),
                name,
                p.version(),
                profile.name(),
                config.holdout().data(),
                config.preprocess(),
                config.classes(),
                config.holdout().labelColumn(),
                calibration != null && Files.isRegularFile(calibration) ? calibration : null,
                Files.isRegularFile(validation) ? validation : null,
                p.key(),
                cascade(config, validation)),
            bundle);
    return new StageState.Entry(
        "",
        List.of(bundle.toAbsolutePath().toString()),
        m.model().name()
            + " "
            + m.model().version()
            + ", "
            + (m.files().size() + 2)
            + " files, signed");
  }
}
