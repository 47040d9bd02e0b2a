package org.edgeopt.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.pipeline.Pipeline;
import org.edgeopt.pipeline.PipelineConfig;
import org.edgeopt.pipeline.PipelineConfigLoader;
import org.edgeopt.pipeline.PipelineResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code edgeopt run}: the whole pipeline from an {@code edgeopt.yaml}, ending with the gate's exit code. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run ingest, prune, calibrate, quantize, compile and validate from one config.",
      "Stages whose inputs did not change since the last run are skipped. Exit code: 0 PASS, 4 FAIL."
    })
public final class RunCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "CONFIG",
      defaultValue = "edgeopt.yaml",
      description = "The pipeline config (default: ${DEFAULT-VALUE}); see docs/pipeline.md.")
  Path config;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    PipelineConfig cfg = PipelineConfigLoader.load(config);
    return run(cfg, spec.commandLine().getOut(), common.quiet);
  }

  /** Runs a loaded config, prints progress and the summary, and returns the exit code. */
  static int run(PipelineConfig cfg, java.io.PrintWriter out, boolean quiet)
      throws EdgeoptException {
    PipelineConsole console = new PipelineConsole(out, quiet);
    PipelineResult result = new Pipeline(cfg, console).run();
    console.summary(result);
    return result.exitCode();
  }
}
