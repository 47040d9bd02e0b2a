package org.edgeopt.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.Target;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.planners.split.Cut;
import org.edgeopt.planners.split.PartsVerifier;
import org.edgeopt.planners.split.SplitArtifacts;
import org.edgeopt.planners.split.SplitJob;
import org.edgeopt.planners.split.SplitPlan;
import org.edgeopt.quantize.Precision;
import org.edgeopt.quantize.QuantizeConfig;

/**
 * Compiles the edge part that {@code edgeopt split} wrote for the edge profile's target, after
 * quantizing it when the target runs int8 only, checks edge (compiled) then server (ONNX) against
 * the whole model, and records the result, or why there is none, under {@code edgeCompiled} in
 * {@code manifest.json}.
 *
 * <p>This is glue rather than planner code because quantizing needs the quantize module and
 * compiling needs the target plug-ins, and the planners module depends on core only.
 */
public final class EdgePartCompiler {
  /** The folder, inside the split's folder, the compiled edge part goes into, before the profile name. */
  public static final String FOLDER_PREFIX = "edge-";

  /** The quantized (QDQ) edge part, written into the compiled folder for an int8 target. */
  public static final String QDQ_FILE = "edge.qdq.onnx";

  /** The calibration table of the edge part, written when the split was given samples instead of a table. */
  public static final String TABLE_FILE = "edge-calibration.json";

  /** The least top-1 agreement of edge (compiled) then server with the whole model. */
  public static final double MIN_AGREEMENT = 0.99;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final SessionOptions SESSION = SessionOptions.defaults().withThreads(1);

  private EdgePartCompiler() {}

  /**
   * What happened: the artifacts (empty when nothing was compiled), the precision, the check of
   * the compiled composition (null when it could not run here) and one line for the user.
   */
  public record Outcome(
      List<Path> artifacts, String precision, PartsVerifier.Comparison check, String note) {
    public Outcome {
      artifacts = List.copyOf(artifacts);
    }

    /** Returns whether a compiled edge part was written. */
    public boolean compiled() {
      return !artifacts.isEmpty();
    }
  }

  /** Returns the folder the compiled edge part of a split in {@code dir} goes into. */
  public static Path folder(Path dir, TargetProfile edge) {
    return dir.resolve(FOLDER_PREFIX + edge.name());
  }

  /**
   * Compiles the edge part of {@code done} (written into {@code dir}) for its edge profile and
   * records the outcome in the manifest; a target that is missing or refuses the part leaves a note, never a file.
   *
   * @param model the whole FP32 model the split was planned for
   * @param calibration the model's calibration table file, or null to calibrate the edge part on the request's calibration data
   * @throws EdgeoptException exit 4 when the compiled composition disagrees with the whole model
   *     on more than {@code 1 - MIN_AGREEMENT} of the samples; exit 3 when the manifest cannot be rewritten
   */
  public static Outcome compile(Path model, SplitJob.Outcome done, Path calibration, Path dir)
      throws EdgeoptException {
    return compile(model, done, calibration, dir, done.plan().request().limit());
  }

  /** As {@link #compile(Path, SplitJob.Outcome, Path, Path)}, checking the compiled composition on {@code samples} holdout samples. */
  public static Outcome compile(
      Path model, SplitJob.Outcome done, Path calibration, Path dir, int samples)
      throws EdgeoptException {
    SplitPlan plan = done.plan();
    TargetProfile profile = plan.request().edge();
    Outcome outcome = compileAndCheck(model, plan, calibration, dir, profile, samples);
    record(dir, profile, outcome);
    if (outcome.check() != null && outcome.check().agreement() < MIN_AGREEMENT) {
      throw new EdgeoptException(
          ExitCode.GATE_FAILED,
          dir.resolve(SplitArtifacts.MANIFEST_FILE)
              + ": the edge part compiled for "
              + profile.name()
              + " then the server part: expected top-1 agreement >= "
              + MIN_AGREEMENT
              + " with the whole model, found "
              + String.format(Locale.ROOT, "%.4f", outcome.check().agreement())
              + " on "
              + outcome.check().samples()
              + " samples");
    }
    return outcome;
  }

  private static Outcome compileAndCheck(
      Path model, SplitPlan plan, Path calibration, Path dir, TargetProfile profile, int samples)
      throws EdgeoptException {
    Cut cut = plan.chosenCost().cut();
    if (cut.cloudOnly()) {
      return note("the chosen cut is cloud-only: there is no edge part to compile");
    }
    Target target;
    try {
      target = Targets.forProfile(profile);
    } catch (EdgeoptException e) {
      return note("edge part not compiled: " + e.getMessage());
    }
    Path edge = dir.resolve(SplitArtifacts.EDGE_FILE);
    Path out = folder(dir, profile);
    boolean quantized = Stages.isQuantized(edge);
    String precision = target.defaultPrecision(profile, quantized);
    Path toCompile = edge;
    Map<String, String> options = new LinkedHashMap<>();
    try {
      // An earlier run's compiled part must not sit beside a note that says there is none.
      removeTree(out);
      if (precision.equals("int8") && !quantized) {
        Path table = calibration != null ? calibration : calibrateEdge(edge, plan, profile, out);
        if (table == null) {
          return note(
              "edge part not compiled: target "
                  + profile.name()
                  + " runs int8 and the split was given no"
                  + " calibration (--calibration or --calibration-data)");
        }
        toCompile = out.resolve(QDQ_FILE);
        Files.createDirectories(out);
        Stages.quantize(
            profile,
            edge,
            table,
            QuantizeConfig.forTarget(profile).withPrecision(Precision.INT8),
            null,
            toCompile,
            "--edge " + profile.name());
        if (profile.target().equals("edgetpu")) {
          options.put("calibration", table.toString());
        }
      }
      Stages.Compiled c = Stages.compile(toCompile, profile, out, precision, false, options);
      List<Path> artifacts = new ArrayList<>();
      if (!toCompile.equals(edge)) {
        artifacts.add(toCompile);
      }
      artifacts.addAll(c.result().artifacts());
      PartsVerifier.Comparison check =
          checkComposition(model, plan, dir, c.result().artifacts().get(0), samples);
      String ran =
          check == null
              ? "; it has no runtime on this machine, so edge-then-server was not run here"
              : String.format(
                  Locale.ROOT,
                  "; edge (%s)%s vs the whole model: top-1 agreement %.2f%%, max |diff| %.3g on %d samples",
                  c.result().artifacts().get(0).getFileName(),
                  cut.edgeOnly() ? " alone" : " then server",
                  100 * check.agreement(),
                  check.maxAbsDiff(),
                  check.samples());
      String mapped =
          c.result().compatible()
              ? ""
              : " (not fully mapped to the accelerator: see the compatibility report)";
      return new Outcome(
          artifacts,
          precision,
          check,
          "edge part compiled for " + profile.name() + " at " + precision + mapped + ran);
    } catch (EdgeoptException e) {
      return failed(out, "edge part not compiled for " + profile.name() + ": " + e.getMessage());
    } catch (IOException e) {
      return failed(
          out,
          "edge part not compiled for "
              + profile.name()
              + ": cannot write "
              + out
              + ": "
              + e.getMessage());
    }
  }

  /** Removes what a failed compile left in {@code out} (a quantized part, a table): no artifact without its check. */
  private static Outcome failed(Path out, String note) throws EdgeoptException {
    try {
      removeTree(out);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          out + ": cannot remove the incomplete compiled edge part: " + e.getMessage(), e);
    }
    return note(note + " (" + out.getFileName() + "/ removed)");
  }

  private static void removeTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Calibrates the edge part on the split's calibration samples; null when there are none. */
  private static Path calibrateEdge(Path edge, SplitPlan plan, TargetProfile profile, Path out)
      throws EdgeoptException, IOException {
    Dataset data = plan.request().calibrationData();
    if (data == null) {
      return null;
    }
    CalibrationTable t =
        Calibration.calibrate(OnnxModels.read(edge), data, CalibrationConfig.forTarget(profile));
    Files.createDirectories(out);
    Path file = out.resolve(TABLE_FILE);
    t.write(file);
    return file;
  }

  /** Runs the compiled edge part then server.onnx against the whole model; null when no runtime runs the artifact here. */
  private static PartsVerifier.Comparison checkComposition(
      Path model, SplitPlan plan, Path dir, Path artifact, int samples) throws EdgeoptException {
    org.edgeopt.core.runtime.InferenceRuntime runtime;
    try {
      runtime = Runtimes.forModel(artifact, List.of());
    } catch (EdgeoptException e) {
      return null;
    }
    Graph whole = OnnxModels.read(model);
    Cut cut = plan.chosenCost().cut();
    Path server = dir.resolve(SplitArtifacts.SERVER_FILE);
    try (InferenceSession full = OrtRuntime.get().open(whole, SESSION);
        InferenceSession e = runtime.open(artifact, SESSION);
        InferenceSession s =
            cut.edgeOnly() ? null : OrtRuntime.get().open(OnnxModels.read(server), SESSION)) {
      return PartsVerifier.compare(
          whole.inputs().get(0).name(),
          whole.outputs().get(0).name(),
          full,
          e,
          s,
          cut,
          plan.request().encoding().format(),
          plan.ranges(),
          plan.request().holdout(),
          samples,
          plan.request().batchSize());
    }
  }

  private static Outcome note(String text) {
    return new Outcome(List.of(), null, null, text);
  }

  /** Adds {@code edgeCompiled} to the manifest, replacing the file atomically. */
  private static void record(Path dir, TargetProfile profile, Outcome o) throws EdgeoptException {
    Path manifest = dir.resolve(SplitArtifacts.MANIFEST_FILE);
    try {
      ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("profile", profile.name());
      e.put("target", profile.target());
      e.put("compiled", o.compiled());
      e.put("precision", o.precision());
      e.put(
          "files",
          o.artifacts().stream()
              .map(
                  p ->
                      dir.toAbsolutePath()
                          .relativize(p.toAbsolutePath())
                          .toString()
                          .replace('\\', '/'))
              .toList());
      if (o.check() != null) {
        e.put(
            "verification",
            Map.of(
                "samples",
                o.check().samples(),
                "maxAbsDiff",
                o.check().maxAbsDiff(),
                "top1Agreement",
                o.check().agreement(),
                "criterion",
                "top-1 agreement >= " + MIN_AGREEMENT,
                "passed",
                o.check().agreement() >= MIN_AGREEMENT));
      }
      e.put("note", o.note());
      m.set("edgeCompiled", JSON.valueToTree(e));
      AtomicFiles.writeString(manifest, JSON.writeValueAsString(m) + "\n");
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          manifest + ": cannot record the compiled edge part: " + e.getMessage(), e);
    }
  }
}
