package org.edgeopt.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;

/**
 * Makes a signed deployment bundle: the model and its companion files, the measured
 * {@link Baseline}, a {@link Manifest} hashing every file, and an Ed25519 signature of the
 * manifest, in the canonical archive of {@link BundleArchive}.
 *
 * <p>Nothing in a bundle depends on the clock or the machine's file order, and Ed25519 is
 * deterministic, so packaging the same inputs twice gives the same bytes.
 */
public final class BundlePackager {
  /** The manifest's entry. */
  public static final String MANIFEST = "manifest.json";

  /** The signature's entry. */
  public static final String SIGNATURE = "signature.json";

  /** The baseline's entry. */
  public static final String BASELINE = "baseline.json";

  private BundlePackager() {}

  /**
   * Packages {@code request} into the bundle file {@code out}, written atomically.
   *
   * @return the manifest written
   * @throws EdgeoptException (exit 3) when an input cannot be read or used
   */
  public static Manifest write(PackageRequest request, Path out) throws EdgeoptException {
    SortedMap<String, byte[]> entries = entries(request);
    try {
      AtomicFiles.write(out, BundleArchive.encode(entries).bytes());
    } catch (IOException e) {
      throw EdgeoptException.invalid(out + ": cannot write the bundle: " + e.getMessage(), e);
    }
    try {
      return StableJson.read(entries.get(MANIFEST), Manifest.class);
    } catch (IOException e) {
      throw new IllegalStateException("a manifest just written could not be read back", e);
    }
  }

  /** Returns every entry of the bundle, signed. */
  static SortedMap<String, byte[]> entries(PackageRequest r) throws EdgeoptException {
    PrivateKey key = SigningKeys.readPrivate(r.signingKey());
    TargetProfile profile = TargetProfiles.get(r.target());
    SortedMap<String, byte[]> files = new TreeMap<>();
    String modelEntry = "model/" + r.model().getFileName();
    files.put(modelEntry, read(r.model(), "model"));
    for (Path a : r.artifacts()) {
      put(files, "artifacts/" + a.getFileName(), read(a, "artifact"), a);
    }
    String calibrationSha = null;
    if (r.calibration() != null) {
      byte[] cal = read(r.calibration(), "calibration table");
      calibrationSha = Hashes.sha256(cal);
      files.put("calibration/" + r.calibration().getFileName(), cal);
    }
    Manifest.Cascade cascade = null;
    if (r.cascade() != null) {
      byte[] bytes = read(r.cascade(), "cascade");
      cascade = cascade(r.cascade(), bytes);
      files.put(cascade.entry(), bytes);
    }
    Manifest.Validation validation = null;
    Baseline.Latency latency = null;
    if (r.validationReport() != null) {
      byte[] report = read(r.validationReport(), "validation report");
      JsonNode json = validationJson(r.validationReport(), report);
      files.put("validation/report.json", report);
      validation = verdict(json);
      latency = latency(json);
    }
    Baseline baseline =
        BaselineMeasurer.measure(
            r.model(), r.holdout(), r.preprocess(), r.classNames(), r.labelColumn(), latency);
    files.put(BASELINE, StableJson.bytes(baseline));

    Map<String, Manifest.FileEntry> hashes = new TreeMap<>();
    files.forEach(
        (name, bytes) ->
            hashes.put(name, new Manifest.FileEntry(Hashes.sha256(bytes), bytes.length)));
    String version =
        r.version() != null
            ? r.version()
            : "sha256:" + hashes.get(modelEntry).sha256().substring(0, 12);
    Manifest manifest =
        new Manifest(
            Manifest.FORMAT,
            Version.get(),
            new Manifest.Model(r.name(), version, modelEntry),
            new Manifest.Target(
                profile.name(),
                profile.target(),
                profile.description(),
                profile.precisions(),
                profile.cpuArch(),
                profile.cpuFlagsAnyOf(),
                profile.assumedIsa()),
            io(r.model()),
            r.preprocess() == null ? "" : r.preprocess(),
            r.classNames(),
            hashes,
            calibrationSha,
            validation,
            cascade);
    byte[] manifestBytes = StableJson.bytes(manifest);
    BundleSignature signature = BundleSignature.of(key, manifestBytes);
    files.put(MANIFEST, manifestBytes);
    files.put(SIGNATURE, StableJson.bytes(signature));
    return files;
  }

  private static void put(SortedMap<String, byte[]> files, String name, byte[] bytes, Path from)
      throws EdgeoptException {
    if (files.put(name, bytes) != null) {
      throw EdgeoptException.invalid(
          from
              + ": a second file named "
              + from.getFileName()
              + ": expected every artifact to have its own file name");
    }
  }

  private static Manifest.Io io(Path model) throws EdgeoptException {
    try (InferenceSession s =
        Runtimes.forModel(model, List.of("input"))
            .open(model, SessionOptions.defaults().withThreads(1))) {
      List<Manifest.Port> inputs = new ArrayList<>();
      for (String name : s.inputNames()) {
        Object type = s.inputTypes().get(name);
        inputs.add(new Manifest.Port(name, type == null ? "unknown" : type.toString()));
      }
      return new Manifest.Io(inputs, s.outputNames());
    }
  }

  private static JsonNode validationJson(Path file, byte[] report) throws EdgeoptException {
    try {
      JsonNode json = StableJson.MAPPER.readTree(report);
      if (json == null || !json.path("gate").path("verdict").isTextual()) {
        throw EdgeoptException.invalid(
            file + ": expected an edgeopt validation report (report.json with gate.verdict)");
      }
      return json;
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": expected an edgeopt validation report, found no JSON: " + e.getMessage(), e);
    }
  }

  /** Reads the threshold, the signal and the expected escalation rate of an {@code edgeopt cascade} file. */
  private static Manifest.Cascade cascade(Path file, byte[] bytes) throws EdgeoptException {
    JsonNode json;
    try {
      json = StableJson.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": expected the cascade.json of edgeopt cascade, found no JSON: " + e.getMessage(),
          e);
    }
    if (json == null
        || json.path("formatVersion").asInt() != 1
        || !json.path("feasible").isBoolean()) {
      throw EdgeoptException.invalid(
          file + ": expected the cascade.json of edgeopt cascade (formatVersion 1, feasible)");
    }
    if (!json.path("feasible").asBoolean()) {
      throw EdgeoptException.invalid(
          file
              + ": the cascade has no threshold (no threshold met "
              + json.path("constraint").asText()
              + "): expected a feasible cascade");
    }
    JsonNode rate = json.path("holdout").path("escalationRate");
    if (!json.path("signal").isTextual()
        || !json.path("threshold").isNumber()
        || !rate.path("estimate").isNumber()) {
      throw EdgeoptException.invalid(
          file + ": expected signal, threshold and holdout.escalationRate in a feasible cascade");
    }
    return new Manifest.Cascade(
        "cascade/" + file.getFileName(),
        json.path("signal").asText(),
        json.path("threshold").asDouble(),
        rate.path("estimate").asDouble(),
        rate.path("lower").asDouble(),
        rate.path("upper").asDouble());
  }

  private static Manifest.Validation verdict(JsonNode json) {
    List<Manifest.Check> checks = new ArrayList<>();
    for (JsonNode c : json.path("gate").path("checks")) {
      checks.add(
          new Manifest.Check(
              c.path("name").asText(),
              c.path("limit").asDouble(),
              c.path("actual").asDouble(),
              c.path("unit").asText(),
              c.path("passed").asBoolean()));
    }
    return new Manifest.Validation(
        json.path("gate").path("verdict").asText(), "validation/report.json", checks);
  }

  private static Baseline.Latency latency(JsonNode json) {
    JsonNode c = json.path("latency").path("candidate");
    if (!c.path("p95Ms").isNumber()) {
      return null;
    }
    String host = json.path("arithmetic").path("hostCpu").asText("the validating host");
    return new Baseline.Latency(
        "validation report: " + c.path("runtime").asText() + " on " + host,
        c.path("p50Ms").asDouble(),
        c.path("p95Ms").asDouble(),
        c.path("p99Ms").asDouble());
  }

  private static byte[] read(Path file, String what) throws EdgeoptException {
    if (!Files.isRegularFile(file)) {
      throw EdgeoptException.invalid(file + ": " + what + " not found: expected a file");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read the " + what + ": " + e.getMessage(), e);
    }
  }
}
