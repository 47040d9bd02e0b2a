package org.edgeopt.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.targets.ModelTargets;
import org.edgeopt.deploy.BundlePackager;
import org.edgeopt.deploy.Manifest;
import org.edgeopt.deploy.PackageRequest;
import org.edgeopt.samples.SampleModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeopt package}: makes a signed, reproducible deployment bundle of a compiled model
 * with its manifest and holdout baseline.
 */
@Command(
    name = "package",
    mixinStandardHelpOptions = true,
    description = {
      "Make a signed deployment bundle (.zip): the compiled model and its companion files, manifest.json"
          + " (target, required ISA, input/output signature, preprocessing, SHA-256 of every file, calibration hash,"
          + " validation verdict) and baseline.json (the model's confidence, margin and class distributions and"
          + " per-class accuracy on the holdout, latency from the validation report), signed with Ed25519.",
      "The same inputs always give the same bytes."
    },
    footerHeading = "%nExit codes:%n",
    footer = {"  0  the bundle was written", "  3  an input cannot be read or used"})
public final class PackageCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "MODEL",
      description = "The compiled model the devices run (.onnx).")
  Path model;

  @Option(
      names = "--artifact",
      paramLabel = "FILE",
      description = "Another file the target needs beside the model (repeatable).")
  List<Path> artifacts = new ArrayList<>();

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "The model's name. Default: the model file's name without extension.")
  String name;

  @Option(
      names = "--model-version",
      paramLabel = "VERSION",
      description =
          "The model's version as the fleet knows it. Default: sha256: and the model's first 12 hex digits.")
  String modelVersion;

  @Option(
      names = "--target",
      paramLabel = "PROFILE",
      description =
          "The target profile (see `edgeopt targets`). Default: the one `edgeopt quantize` stamped"
              + " into an ONNX model, edgetpu for a .tflite model, else onnxruntime-cpu.")
  String target;

  @Option(
      names = "--holdout",
      paramLabel = "PATH",
      description =
          "The labelled holdout the baseline is measured on. Defaults to the sample's when the model is a sample model.")
  Path holdout;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description = "Preprocessing spec (as for validate). Defaults to the sample's.")
  String preprocess;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "NAME",
      description = "Class names in label order, comma-separated.")
  List<String> classes;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description = "The label column of a CSV holdout (default: label).")
  String labelColumn;

  @Option(
      names = "--calibration",
      paramLabel = "FILE",
      description = "The calibration table (calibration.json) the model was quantized with.")
  Path calibration;

  @Option(
      names = "--validation-report",
      paramLabel = "FILE",
      description =
          "The validation report.json: its verdict goes into the manifest, its latency into the baseline.")
  Path validationReport;

  @Option(
      names = "--cascade",
      paramLabel = "FILE",
      description =
          "The cascade.json of edgeopt cascade: signed into the bundle, its signal, threshold and expected escalation in the manifest.")
  Path cascade;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "PRIVATE_PEM",
      description = "The Ed25519 signing key (see `edgeopt keygen`).")
  Path key;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "BUNDLE",
      description = "The bundle file to write (.zip).")
  Path output;

  @Override
  public CommonOptions common() {
    return common;
  }

  /** Returns the profile the model was made for (an ONNX model's metadata is read for it). */
  private String modelTarget() throws EdgeoptException {
    Graph onnx =
        model.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")
                && java.nio.file.Files.isRegularFile(model)
            ? OnnxModels.read(model)
            : null;
    return ModelTargets.of(model, onnx).profile().name();
  }

  @Override
  public Integer call() throws EdgeoptException {
    Optional<SampleModel> sample = SampleDefaults.near(model);
    Path data = holdout != null ? holdout : sample.map(SampleDefaults::holdoutData).orElse(null);
    if (data == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--holdout is required: the model "
              + model
              + " is not a sample model (no "
              + SampleDefaults.DESCRIPTOR
              + " beside it)");
    }
    Map<String, Path> in = new LinkedHashMap<>();
    in.put("--model", model);
    in.put("--holdout", data);
    in.put("--key", key);
    in.put("--calibration", calibration);
    in.put("--validation-report", validationReport);
    in.put("--cascade", cascade);
    for (Path a : artifacts) {
      in.put("--artifact " + a, a);
    }
    OverwriteGuard.refuse(in, Map.of("--output", output));
    String file = model.getFileName().toString();
    String profile = target != null ? target : modelTarget();
    PackageRequest request =
        new PackageRequest(
            model,
            artifacts,
            name != null ? name : file.contains(".") ? file.substring(0, file.indexOf('.')) : file,
            modelVersion,
            profile,
            data,
            preprocess != null ? preprocess : sample.map(SampleModel::preprocess).orElse(""),
            classes != null ? classes : sample.map(SampleModel::classNames).orElse(List.of()),
            labelColumn != null
                ? labelColumn
                : sample.map(s -> s.holdout().labelColumn()).orElse(null),
            calibration,
            validationReport,
            key,
            cascade);
    Manifest m = BundlePackager.write(request, output);
    var out = spec.commandLine().getOut();
    out.println(
        "packaged "
            + m.model().name()
            + " "
            + m.model().version()
            + " for "
            + m.target().profile()
            + ": "
            + output
            + " ("
            + (m.files().size() + 2)
            + " files, validation "
            + (m.validation() == null ? "not included" : m.validation().verdict())
            + (m.cascade() == null
                ? ""
                : String.format(
                    java.util.Locale.ROOT,
                    ", cascade: %s >= %.4g, expected escalation %.1f%%",
                    m.cascade().signal(),
                    m.cascade().threshold(),
                    100 * m.cascade().escalationRate()))
            + ")");
    out.flush();
    return ExitCode.OK.code();
  }
}
