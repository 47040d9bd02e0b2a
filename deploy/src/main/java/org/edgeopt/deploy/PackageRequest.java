package org.edgeopt.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything {@link BundlePackager} needs to make one bundle; the same request always gives
 * the same bytes.
 *
 * @param model the compiled model the devices run (measured for the baseline)
 * @param artifacts further files the target needs beside it (a TensorRT recipe, an engine), may be empty
 * @param name the model's name
 * @param version the model's version; {@code null} for {@code sha256:} and the model's first 12 hex digits
 * @param target the target profile name or JSON path
 * @param holdout the labelled holdout the baseline is measured on
 * @param preprocess the preprocessing spec
 * @param classNames class names by label, may be empty
 * @param labelColumn the label column of a CSV holdout, or {@code null}
 * @param calibration the calibration table ({@code calibration.json}), or {@code null}
 * @param validationReport the validation {@code report.json}, or {@code null}
 * @param signingKey the Ed25519 private key (PKCS#8 PEM)
 * @param cascade the {@code cascade.json} of {@code edgeopt cascade} the device applies, or {@code null}
 */
public record PackageRequest(
    Path model,
    List<Path> artifacts,
    String name,
    String version,
    String target,
    Path holdout,
    String preprocess,
    List<String> classNames,
    String labelColumn,
    Path calibration,
    Path validationReport,
    Path signingKey,
    Path cascade) {

  /** A request without a cascade. */
  public PackageRequest(
      Path model,
      List<Path> artifacts,
      String name,
      String version,
      String target,
      Path holdout,
      String preprocess,
      List<String> classNames,
      String labelColumn,
      Path calibration,
      Path validationReport,
      Path signingKey) {
    this(
        model,
        artifacts,
        name,
        version,
        target,
        holdout,
        preprocess,
        classNames,
        labelColumn,
        calibration,
        validationReport,
        signingKey,
        null);
  }

  /** Checks the required parts and copies the lists. */
  public PackageRequest {
    Objects.requireNonNull(model, "model");
    artifacts = List.copyOf(artifacts == null ? List.of() : artifacts);
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(holdout, "holdout");
    classNames = List.copyOf(classNames == null ? List.of() : classNames);
    Objects.requireNonNull(signingKey, "signingKey");
  }
}
