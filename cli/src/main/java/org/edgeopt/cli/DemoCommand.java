package org.edgeopt.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.pipeline.PipelineConfig;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeopt demo}: the whole pipeline on the bundled Fashion-MNIST sample for the Edge TPU,
 * so a fresh clone shows what edgeopt does without any data of one's own.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Optimize the bundled Fashion-MNIST sample for the Edge TPU: ingest, calibrate, quantize, compile, validate.")
public final class DemoCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      defaultValue = "edgeopt-out/demo",
      description = "Where to write the artifacts (default: ${DEFAULT-VALUE}).")
  Path output;

  @Option(
      names = "--target",
      paramLabel = "PROFILE",
      defaultValue = "edgetpu",
      description = "Target profile (default: ${DEFAULT-VALUE}).")
  String target;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    SampleModel s = SampleModels.fashionMnist();
    PipelineConfig cfg =
        new PipelineConfig(
            s.model(),
            s.torchscript(),
            target,
            "int8",
            s.preprocess(),
            s.classNames(),
            new PipelineConfig.Calibration(s.calibration().images().getParent(), null, 0, null),
            new PipelineConfig.Pruning("none", 1.0),
            new PipelineConfig.Holdout(s.holdout().images().getParent(), null, 0),
            new PipelineConfig.Gate(0.5, 98.0, 0),
            null,
            output,
            null);
    java.io.PrintWriter out = spec.commandLine().getOut();
    out.println(
        "edgeopt demo: "
            + s.name()
            + " ("
            + s.classNames().size()
            + " classes), FP32 holdout top-1 "
            + String.format("%.2f%%", 100.0 * s.fp32HoldoutTop1())
            + ", target "
            + target);
    return RunCommand.run(cfg, out, common.quiet);
  }
}
