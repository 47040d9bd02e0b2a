package org.edgeopt.maven;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;
import org.edgeopt.pipeline.PipelineConfig;
import org.edgeopt.pipeline.PipelineResult;
import org.edgeopt.pipeline.StageResult;

/**
 * Runs the pipeline up to a passing gate and makes the signed deployment bundle its
 * {@code package:} section asks for (see docs/operations.md), attaching it to the build with the
 * classifier {@code bundle}.
 */
@Mojo(name = "package", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class PackageMojo extends AbstractEdgeoptMojo {

  /**
   * Attaches the bundle to the project so that install and deploy publish it.
   *
   * @since 0.1.0
   */
  @Parameter(property = "edgeopt.attach", defaultValue = "true")
  protected boolean attach;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  protected MavenProject project;

  @Component protected MavenProjectHelper projectHelper;

  @Override
  String goal() {
    return "package";
  }

  @Override
  void checkConfig(PipelineConfig cfg) throws MojoFailureException {
    if (cfg.packaging() == null) {
      throw new MojoFailureException(
          "edgeopt: "
              + config
              + ": no 'package:' section: expected one with at least"
              + " 'key:' (an Ed25519 private key from edgeopt keygen) for edgeopt:package");
    }
  }

  @Override
  void onResult(PipelineConfig cfg, PipelineResult result) {
    for (StageResult s : result.stages()) {
      if (!s.stage().equals("package")) {
        continue;
      }
      for (Path p : s.artifacts()) {
        if (Files.isRegularFile(p)) {
          getLog().info("edgeopt: bundle " + p);
          if (attach) {
            projectHelper.attachArtifact(project, "zip", "bundle", p.toFile());
          }
        }
      }
    }
  }
}
