package org.edgeopt.maven;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * Runs the whole pipeline (ingest, prune, calibrate, quantize, compile, validate) and attaches
 * the optimized artifacts and reports to the build, each with a classifier of its file name.
 */
@Mojo(name = "optimize", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class OptimizeMojo extends AbstractEdgeoptMojo {

  /**
   * Attaches the produced artifacts to the project so that install and deploy publish them.
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
    return "optimize";
  }

  @Override
  void onResult(PipelineConfig cfg, PipelineResult result) {
    if (!attach) {
      return;
    }
    for (StageResult s : result.stages()) {
      for (Path p : s.artifacts()) {
        if (!Files.isRegularFile(p)) {
          continue;
        }
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? "bin" : name.substring(dot + 1);
        String classifier = (dot < 0 ? name : name.substring(0, dot)).replace('.', '-');
        projectHelper.attachArtifact(project, type, classifier, p.toFile());
        getLog().info("edgeopt: attached " + name + " as " + classifier + "." + type);
      }
    }
  }
}
