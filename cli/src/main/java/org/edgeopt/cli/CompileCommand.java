package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.pipeline.Stages;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code edgeopt compile}: turns a (quantized) ONNX model into a target's artifacts. */
@Command(
    name = "compile",
    mixinStandardHelpOptions = true,
    description =
        "Compile a model for a target: onnxruntime-cpu, edgetpu (int8 TFLite), tensorrt-ampere, tensorrt-jetson-orin.")
public final class CompileCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = "The ONNX model (QDQ INT8, FP16 or FP32).")
  Path model;

  @Option(
      names = "--target",
      required = true,
      paramLabel = "PROFILE",
      description = "Target profile name (see 'edgeopt targets') or a profile .json file.")
  String target;

  @Option(
      names = "--precision",
      paramLabel = "P",
      description =
          "int8, fp16 or fp32 (default: int8 for a QDQ model, else the target's highest precision).")
  String precision;

  @Option(
      names = "--io-type",
      paramLabel = "T",
      description = "Edge TPU model input/output type: int8 or uint8 (default int8).")
  String ioType;

  @Option(
      names = "--strict",
      description = "Exit 5 when any part of the model would not run on the target's accelerator.")
  boolean strict;

  @Option(
      names = "--build-engine",
      description = "TensorRT: also build the engine in-process (needs a CUDA GPU with TensorRT).")
  boolean buildEngine;

  @Option(
      names = "--calibration",
      paramLabel = "FILE",
      description = "calibration.json, for targets that export a calibration cache.")
  Path calibration;

  @Option(
      names = "--verify-data",
      paramLabel = "PATH",
      description =
          "Labelled samples to check the compiled artifact against the input model on (Edge TPU: TFLite vs ONNX Runtime).")
  Path verifyData;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description = "Preprocessing of --verify-data (see docs/data.md).")
  String preprocess;

  @Option(
      names = "--verify-limit",
      paramLabel = "N",
      description = "Check on the first N samples of --verify-data (default 1000).")
  Integer verifyLimit;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = "Folder to write the artifacts into.")
  Path output;

  /**
   * Every file name a compile target writes into its output folder: an input by one of these
   * names in {@code -o} would be replaced.
   */
  static final List<String> ARTIFACTS =
      List.of(
          "model.ort.onnx",
          "onnxruntime-report.json",
          org.edgeopt.compile.tflite.EdgeTpuTarget.MODEL_FILE,
          org.edgeopt.compile.tflite.EdgeTpuTarget.REPORT_FILE,
          org.edgeopt.compile.tflite.EdgeTpuTarget.VERIFICATION_FILE,
          org.edgeopt.compile.tensorrt.TensorRtTarget.QDQ_MODEL,
          org.edgeopt.compile.tensorrt.TensorRtTarget.FLOAT_MODEL,
          org.edgeopt.compile.tensorrt.TensorRtTarget.RECIPE,
          org.edgeopt.compile.tensorrt.TensorRtTarget.CALIBRATION_CACHE,
          org.edgeopt.compile.tensorrt.TrtexecRecipe.ENGINE,
          org.edgeopt.compile.tensorrt.TrtexecRecipe.TIMING_CACHE);

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    if (verifyLimit != null) {
      OptionBounds.check(
          spec.commandLine(),
          "--verify-limit",
          verifyLimit,
          1,
          Integer.MAX_VALUE,
          "holdout samples to verify on");
    }
    Map<String, Path> in = new LinkedHashMap<>();
    in.put("the input model", model);
    in.put("--calibration", calibration);
    in.put("--verify-data", verifyData);
    Map<String, Path> outs = new LinkedHashMap<>();
    outs.put("-o", output);
    ARTIFACTS.forEach(name -> outs.put("the artifact " + name + " in -o", output.resolve(name)));
    OverwriteGuard.refuse(in, outs);
    TargetProfile profile = TargetProfiles.get(target);
    Map<String, String> options = new LinkedHashMap<>();
    if (ioType != null) {
      options.put("io-type", ioType);
    }
    if (buildEngine) {
      options.put("build-engine", "true");
    }
    if (calibration != null) {
      options.put("calibration", calibration.toString());
    }
    if (verifyData != null) {
      options.put("verify-data", verifyData.toString());
      options.put("verify-preprocess", preprocess == null ? "" : preprocess);
      if (verifyLimit != null) {
        options.put("verify-limit", String.valueOf(verifyLimit));
      }
    }
    Stages.Compiled compiled = Stages.compile(model, profile, output, precision, strict, options);
    CompileResult r = compiled.result();
    String p = compiled.precision();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "compiled %s for %s (%s): %s%n",
        model.getFileName(),
        profile.name(),
        p,
        r.compatible()
            ? "fully mapped to the accelerator"
            : "NOT fully mapped (see the compatibility report)");
    r.messages().forEach(m -> out.println("  " + m));
    r.artifacts().forEach(a -> out.println("  wrote " + a));
    out.flush();
    return 0;
  }
}
