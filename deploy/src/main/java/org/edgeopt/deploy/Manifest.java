package org.edgeopt.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a deployment bundle holds and what it needs, signed as a whole: the model and its
 * version, the target and the hardware it requires, the model's input/output signature and
 * preprocessing, the SHA-256 of every other file in the bundle, the calibration table's hash,
 * and the validation verdict the artifact passed.
 *
 * @param format the bundle format, {@value #FORMAT}
 * @param edgeoptVersion the edgeopt version that packaged it
 * @param model the model's name, version and file in the bundle
 * @param target the target profile and what it requires of the device
 * @param io the model's inputs (name and type) and outputs
 * @param preprocess the preprocessing spec the device must apply
 * @param classNames the class names by label
 * @param files every file of the bundle except the manifest and its signature, by entry name
 * @param calibrationSha256 the SHA-256 of the calibration table the model was quantized with, or {@code null}
 * @param validation the validation verdict, or {@code null} when no report was packaged
 * @param cascade the cascade the device applies, or {@code null} (then absent from the JSON, so
 *     bundles without one keep their bytes)
 */
public record Manifest(
    String format,
    String edgeoptVersion,
    Model model,
    Target target,
    Io io,
    String preprocess,
    List<String> classNames,
    Map<String, FileEntry> files,
    String calibrationSha256,
    Validation validation,
    @JsonInclude(JsonInclude.Include.NON_NULL) Cascade cascade) {
  /** The bundle format this code writes and reads. */
  public static final String FORMAT = "edgeopt-bundle/1";

  /** Copies the collections, the files sorted by name. */
  public Manifest {
    classNames = List.copyOf(classNames);
    files = java.util.Collections.unmodifiableMap(new TreeMap<>(files));
  }

  /**
   * The packaged model.
   *
   * @param name the model's name
   * @param version its version as the fleet knows it
   * @param entry its entry in the bundle
   */
  public record Model(String name, String version, String entry) {}

  /**
   * The target profile and what it requires of the device.
   *
   * @param profile the profile name
   * @param plugin the compile target plug-in
   * @param description the hardware in words
   * @param precisions the precisions it runs
   * @param cpuArch the CPU architecture it assumes, empty for any
   * @param cpuFlagsAnyOf CPU flags of which the device needs one, empty for none
   * @param assumedIsa the instruction sets it assumes, in words
   */
  public record Target(
      String profile,
      String plugin,
      String description,
      List<String> precisions,
      String cpuArch,
      List<String> cpuFlagsAnyOf,
      String assumedIsa) {}

  /**
   * The model's signature.
   *
   * @param inputs each input's name and type
   * @param outputs the output names
   */
  public record Io(List<Port> inputs, List<String> outputs) {}

  /**
   * One named tensor.
   *
   * @param name its name
   * @param type its element type and shape, -1 for dynamic dimensions
   */
  public record Port(String name, String type) {}

  /**
   * One file of the bundle.
   *
   * @param sha256 the hex SHA-256 of its bytes
   * @param bytes its size
   */
  public record FileEntry(String sha256, long bytes) {}

  /**
   * The validation verdict the artifact passed before packaging.
   *
   * @param verdict PASS or FAIL
   * @param reportEntry the validation report's entry in the bundle
   * @param checks each gate threshold with its measured figure
   */
  public record Validation(String verdict, String reportEntry, List<Check> checks) {}

  /**
   * One gate threshold.
   *
   * @param name the check's name
   * @param limit its threshold
   * @param actual the measured figure
   * @param unit the unit of both
   * @param passed whether it passed
   */
  public record Check(String name, double limit, double actual, String unit, boolean passed) {}

  /**
   * The small/large cascade the device applies ({@code edgeopt cascade}): answer with the small
   * model when its {@code signal} is at least {@code threshold}, else escalate.
   *
   * @param entry the {@code cascade.json} entry in the bundle
   * @param signal the confidence signal: top1, margin or entropy
   * @param threshold the threshold on it
   * @param escalationRate the escalation rate expected from the holdout
   * @param escalationLower the lower end of its confidence interval
   * @param escalationUpper the upper end of its confidence interval
   */
  public record Cascade(
      String entry,
      String signal,
      double threshold,
      double escalationRate,
      double escalationLower,
      double escalationUpper) {}
}
