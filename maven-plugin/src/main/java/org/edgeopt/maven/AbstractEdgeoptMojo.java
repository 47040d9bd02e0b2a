package org.edgeopt.maven;

import java.io.File;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.pipeline.Pipeline;
import org.edgeopt.pipeline.PipelineConfig;
import org.edgeopt.pipeline.PipelineConfigLoader;
import org.edgeopt.pipeline.PipelineListener;
import org.edgeopt.pipeline.PipelineResult;
import org.edgeopt.pipeline.StageResult;

/**
 * What both goals share: the config file, the skip switch, and running the pipeline with its
 * progress in the build log. Mojos keep no state between executions, so parallel builds may run
 * them in several modules at once.
 */
abstract class AbstractEdgeoptMojo extends AbstractMojo {

  /**
   * The pipeline configuration.
   *
   * @since 0.1.0
   */
  @Parameter(
      property = "edgeopt.config",
      defaultValue = "${project.basedir}/edgeopt.yaml",
      required = true)
  protected File config;

  /**
   * Skips the goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = "edgeopt.skip", defaultValue = "false")
  protected boolean skip;

  /**
   * Fails the build when the accuracy gate fails; otherwise the failure is only logged.
   *
   * @since 0.1.0
   */
  @Parameter(property = "edgeopt.failOnDrift", defaultValue = "true")
  protected boolean failOnDrift;

  /** Returns the goal name for log lines. */
  abstract String goal();

  /** Refuses a config the goal cannot work with, before anything runs; nothing by default. */
  void checkConfig(PipelineConfig cfg) throws MojoFailureException {
    // Every config the loader accepts suits optimize and validate.
  }

  /** Acts on the pipeline result once it ran. */
  abstract void onResult(PipelineConfig cfg, PipelineResult result)
      throws MojoExecutionException, MojoFailureException;

  @Override
  public final void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("edgeopt:" + goal() + " skipped (edgeopt.skip=true)");
      return;
    }
    try {
      PipelineConfig cfg = PipelineConfigLoader.load(config.toPath());
      checkConfig(cfg);
      PipelineResult result = runWithLargeStack(cfg);
      getLog().info("edgeopt: " + result.summary());
      getLog().info("edgeopt: report " + result.reportDir().resolve("report.html"));
      if (!result.gatePassed()) {
        String reasons = "accuracy gate FAILED: " + String.join("; ", result.gateReasons());
        if (failOnDrift) {
          throw new MojoFailureException("edgeopt: " + reasons);
        }
        getLog().warn("edgeopt: " + reasons + " (not failing: edgeopt.failOnDrift=false)");
      } else {
        getLog().info("edgeopt: accuracy gate PASSED");
      }
      onResult(cfg, result);
    } catch (EdgeoptException e) {
      if (e.exitCode() == ExitCode.INTERNAL) {
        throw new MojoExecutionException("edgeopt: " + e.getMessage(), e);
      }
      // The one-line message is the whole story; the cause would add a parser's stack to the log.
      throw new MojoFailureException("edgeopt: " + e.getMessage());
    }
  }

  /**
   * Runs the pipeline on a thread with a 64 MB stack: ONNX Runtime's session creation recurses
   * deeply in native code and can overflow a default thread stack when the class path is long.
   */
  private PipelineResult runWithLargeStack(PipelineConfig cfg)
      throws EdgeoptException, MojoExecutionException {
    PipelineResult[] result = {null};
    Throwable[] failure = {null};
    Thread t =
        new Thread(
            null,
            () -> {
              try {
                result[0] = new Pipeline(cfg, new LogListener()).run();
              } catch (Throwable e) {
                failure[0] = e;
              }
            },
            "edgeopt-pipeline",
            64L << 20);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MojoExecutionException("edgeopt: interrupted", e);
    }
    if (failure[0] instanceof EdgeoptException e) {
      throw e;
    }
    if (failure[0] instanceof org.edgeopt.core.data.DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
    if (failure[0] != null) {
      throw new MojoExecutionException("edgeopt: internal error: " + failure[0], failure[0]);
    }
    return result[0];
  }

  /** Logs each stage as it runs. */
  private final class LogListener implements PipelineListener {
    @Override
    public void stageStarted(String stage, String description) {
      getLog().info("edgeopt: " + stage + ": " + description);
    }

    @Override
    public void stageFinished(StageResult r) {
      getLog()
          .info(
              String.format(
                  "edgeopt: %-9s %s %6.1fs  %s",
                  r.stage(),
                  r.skipped() ? "up to date" : "done      ",
                  r.seconds(),
                  r.keyFigure()));
    }
  }
}
