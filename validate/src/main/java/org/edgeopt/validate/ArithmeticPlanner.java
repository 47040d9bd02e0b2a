package org.edgeopt.validate;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.cpu.Int8LayerBounds;
import org.edgeopt.core.cpu.PairSaturation;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.ModelTargets;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;

/**
 * Decides with whose integer arithmetic the candidate runs, so that a gate on one machine predicts
 * the result on the target: the target's arithmetic is exact int32 accumulation on every profile
 * edgeopt ships (VNNI, ARM64, the Edge TPU, TensorRT, and the portable profile by construction),
 * while x86 hosts without VNNI clamp uint8 x int8 pair sums at int16. When the candidate has a
 * layer whose pair sums can exceed 32,767 and the host's kernels would clamp them, ONNX Runtime
 * runs its exact kernels instead and the figures are <em>emulated for the target</em>; otherwise
 * the host's kernels already compute what the target computes and the figures are native.
 */
final class ArithmeticPlanner {
  static final String NATIVE = "native";
  static final String EMULATED = "emulated for the target";
  static final String HOST_ONLY = "host kernels, not the target's";

  private ArithmeticPlanner() {}

  /**
   * The decision: the session arithmetic for the candidate, and the report section describing it.
   *
   * @param session the arithmetic to open the candidate's session with
   * @param section what the reports say about it (its latency note is filled in later)
   */
  record Plan(SessionOptions.Int8Arithmetic session, ValidationReport.Arithmetic section) {}

  static Plan plan(ValidationConfig config, HostCpu host) throws EdgeoptException {
    Graph candidate = isOnnx(config.candidate()) ? OnnxModels.read(config.candidate()) : null;
    String[] source = new String[1];
    TargetProfile profile = profile(config, candidate, source);
    Int8LayerBounds bounds =
        candidate == null
            ? new Int8LayerBounds(java.util.List.of())
            : Int8LayerBounds.of(candidate);
    Optional<Int8LayerBounds.Layer> worst = bounds.worstSaturating();
    boolean hostClamps = host.int8Kernel().saturatesPairs() && worst.isPresent();
    String cpuMismatch = profile.cpuMismatch(host);

    SessionOptions.Int8Arithmetic session;
    String figures;
    StringBuilder why = new StringBuilder();
    if (candidate == null) {
      session = SessionOptions.Int8Arithmetic.HOST;
      figures = NATIVE;
      why.append(
          "the candidate is not an ONNX model: its runtime's integer kernels (TFLite's reference kernels)"
              + " accumulate in int32, as the target does");
    } else if (!bounds.any()) {
      session = SessionOptions.Int8Arithmetic.HOST;
      figures = NATIVE;
      why.append("the candidate has no int8 layers: nothing depends on the host's integer kernels");
    } else if (!hostClamps) {
      session = SessionOptions.Int8Arithmetic.HOST;
      figures = NATIVE;
      why.append(
          host.int8Kernel().saturatesPairs()
              ? String.format(
                  Locale.ROOT,
                  "no pair sum of this model can exceed %,d (largest %,d): the host's %s compute it"
                      + " exactly, as the target does",
                  PairSaturation.INT16_MAX,
                  bounds.worstCasePairSum(),
                  host.int8Kernel().description())
              : "the host's kernels ("
                  + host.int8Kernel().description()
                  + ") are exact, as the target's are");
    } else if (config.arithmetic() == ValidationConfig.Arithmetic.TARGET) {
      session = SessionOptions.Int8Arithmetic.EXACT;
      figures = EMULATED;
      why.append(
          String.format(
              Locale.ROOT,
              "the host's kernels (%s) would clamp pair sums up to %,d (layer '%s');"
                  + " ONNX Runtime ran its exact U8U8 kernels instead, which compute the integers %s computes",
              host.int8Kernel().description(),
              worst.get().worstCasePairSum(),
              worst.get().node(),
              profile.name()));
    } else {
      session = SessionOptions.Int8Arithmetic.HOST;
      figures = HOST_ONLY;
      why.append(
          String.format(
              Locale.ROOT,
              "--arithmetic host: the host's kernels (%s) clamp pair sums up to %,d"
                  + " (layer '%s') that %s computes exactly",
              host.int8Kernel().description(),
              worst.get().worstCasePairSum(),
              worst.get().node(),
              profile.name()));
    }
    if (!cpuMismatch.isEmpty()
        && profile.target().equals("onnxruntime")
        && !profile.activationType().equals("uint8")) {
      why.append(
          "; on x86, ONNX Runtime turns int8 activations into uint8 and may leave some layers in float, so the"
              + " figures approximate the target's");
    }
    String mismatch = mismatch(profile, host, cpuMismatch, hostClamps, worst, figures);
    ValidationReport.Arithmetic section =
        new ValidationReport.Arithmetic(
            host.model(),
            host.arch(),
            host.flags(),
            host.int8Kernel().name().toLowerCase(Locale.ROOT),
            host.int8Kernel().description(),
            profile.name(),
            source[0],
            profile.assumedIsa(),
            bounds.layers().size(),
            bounds.worstCasePairSum(),
            figures,
            why.toString(),
            mismatch,
            "");
    return new Plan(session, section);
  }

  private static String mismatch(
      TargetProfile profile,
      HostCpu host,
      String cpuMismatch,
      boolean hostClamps,
      Optional<Int8LayerBounds.Layer> worst,
      String figures) {
    StringBuilder m = new StringBuilder();
    if (!cpuMismatch.isEmpty()) {
      m.append("host ")
          .append(host.model())
          .append(" is not the CPU of target ")
          .append(profile.name())
          .append(": ")
          .append(cpuMismatch);
    }
    if (hostClamps) {
      m.append(m.length() == 0 ? "host " + host.model() + ": " : "; ")
          .append(
              String.format(
                  Locale.ROOT,
                  "its kernels clamp pair sums this model reaches (up to %,d in '%s')",
                  worst.get().worstCasePairSum(),
                  worst.get().node()));
      m.append(
          figures.equals(EMULATED)
              ? ": accuracy figures are emulated for the target (exact integer arithmetic); latency is this host's"
                  + " emulation, not the target's"
              : ": the figures are this host's and DIFFER from what the target computes (rerun with --arithmetic target)");
    } else if (m.length() > 0) {
      m.append(
          ": accuracy figures are what the target computes; latency is this host's, not the target's");
    }
    return m.toString();
  }

  private static TargetProfile profile(ValidationConfig config, Graph candidate, String[] source)
      throws EdgeoptException {
    if (!config.target().isBlank()) {
      source[0] = "--target";
      return TargetProfiles.get(config.target());
    }
    ModelTargets.Resolved r = ModelTargets.of(config.candidate(), candidate);
    source[0] = r.source().equals("model metadata") ? "candidate metadata" : r.source();
    return r.profile();
  }

  private static boolean isOnnx(Path p) {
    return p.getFileName() != null
        && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
  }

  /**
   * Returns the section with a latency note: when INT8 is not faster here, or ran emulated, or
   * the candidate ran in the TFLite interpreter on this host's CPU rather than on its target.
   */
  static ValidationReport.Arithmetic withLatency(
      ValidationReport.Arithmetic a, ValidationReport.Latency latency) {
    if (latency != null && latency.candidate().runtime().startsWith("tflite")) {
      // An Edge TPU model timed on the host's CPU: its reference kernels, not the accelerator.
      return a.withLatencyNote(
          String.format(
              Locale.ROOT,
              "the candidate ran %.2fx the reference in the TFLite interpreter on this host's CPU"
                  + " (%s), not on %s: that is not the device's latency (edgeopt ingest and"
                  + " compile give the profile's modelled figure)",
              latency.speedup(),
              latency.candidate().runtime(),
              a.target()));
    }
    if (latency == null || a.int8Layers() == 0) {
      return a;
    }
    StringBuilder n = new StringBuilder();
    if (latency.speedup() < 1.1) {
      n.append(
          String.format(
              Locale.ROOT,
              "INT8 is not faster than FP32 on this host (%.2fx): it runs %s",
              latency.speedup(),
              a.hostInt8KernelDescription()));
    } else {
      n.append(
          String.format(
              Locale.ROOT,
              "INT8 ran %.2fx FP32 on this host (%s)",
              latency.speedup(),
              a.hostInt8KernelDescription()));
    }
    if (a.figures().equals(EMULATED)) {
      n.append(
          "; the candidate ran ONNX Runtime's exact U8U8 kernels (the emulation), slower than the target's");
    }
    try {
      String expect = TargetProfiles.get(a.target()).int8Speedup();
      if (!expect.isEmpty()) {
        n.append(". On ").append(a.target()).append(": ").append(expect);
      }
    } catch (EdgeoptException e) {
      // The profile resolved when the plan was made; a user profile file removed since then only
      // loses the hint.
    }
    return a.withLatencyNote(n.toString());
  }
}
