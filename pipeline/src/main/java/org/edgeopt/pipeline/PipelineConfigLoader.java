package org.edgeopt.pipeline;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.target.TargetProfiles;

/**
 * Reads and checks {@code edgeopt.yaml}: every error names the file, the key and its line.
 */
public final class PipelineConfigLoader {
  private static final Set<String> METHODS = Set.of("minmax", "percentile", "entropy", "mse");
  private static final Set<String> PRUNING = Set.of("none", "auto", "2:4", "channel");

  private PipelineConfigLoader() {}

  /** Loads the config and resolves its relative paths against the config file's folder. */
  public static PipelineConfig load(Path file) throws EdgeoptException {
    if (!Files.isRegularFile(file)) {
      throw EdgeoptException.invalid(file + ": pipeline config not found (expected an edgeopt.yaml)");
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(text, file, file.toAbsolutePath().getParent());
  }

  /** Parses config text; {@code where} names it in errors and {@code base} resolves paths. */
  public static PipelineConfig parse(String text, Path where, Path base) throws EdgeoptException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    Map<String, Integer> lines = keyLines(yaml, text, where);
    PipelineConfig c;
    try {
      c = yaml.readValue(text, PipelineConfig.class);
    } catch (JsonMappingException e) {
      String key = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
          .reduce((a, b) -> a + "." + b).orElse("(top level)");
      JsonLocation loc = e.getLocation();
      String reason = e.getOriginalMessage().lines().findFirst().orElse("");
      if (reason.contains("Unrecognized field")) {
        reason = "unknown key (expected one of the keys documented in docs/pipeline.md)";
      } else if (reason.contains("Missing required creator property")) {
        String missing = reason.replaceAll(".*'([^']+)'.*", "$1");
        key = key.equals("(top level)") ? missing : key.equals(missing) || key.endsWith("." + missing) ? key : key + "." + missing;
        reason = "required key is missing";
      }
      Integer line = lines.containsKey(key) ? lines.get(key) : loc == null ? null : Integer.valueOf(loc.getLineNr());
      throw EdgeoptException.invalid(where + (line == null ? "" : ":" + line) + ": key '" + key + "': " + reason, e);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      throw EdgeoptException.invalid(where + (loc == null ? "" : ":" + loc.getLineNr()) + ": not valid YAML: "
          + e.getOriginalMessage().lines().findFirst().orElse(""), e);
    }
    if (c == null) {
      throw EdgeoptException.invalid(where + ": the config is empty (expected model, target, calibration and holdout keys)");
    }
    c = resolve(c, base);
    check(c, where, lines);
    return c;
  }

  private static Map<String, Integer> keyLines(ObjectMapper yaml, String text, Path where) throws EdgeoptException {
    Map<String, Integer> lines = new HashMap<>();
    try (JsonParser p = yaml.getFactory().createParser(text)) {
      java.util.Deque<String> path = new java.util.ArrayDeque<>();
      String pending = null;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t == JsonToken.FIELD_NAME) {
          pending = p.currentName();
          String full = (path.isEmpty() ? "" : String.join(".", reversed(path)) + ".") + pending;
          lines.put(full, p.currentTokenLocation().getLineNr());
        } else if (t == JsonToken.START_OBJECT) {
          if (pending != null) {
            path.push(pending);
          } else if (!lines.isEmpty() || path.size() > 0) {
            path.push("[]");
          }
          pending = null;
        } else if (t == JsonToken.END_OBJECT) {
          if (!path.isEmpty()) {
            path.pop();
          }
        } else {
          pending = null;
        }
      }
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      throw EdgeoptException.invalid(where + (loc == null ? "" : ":" + loc.getLineNr()) + ": not valid YAML: "
          + e.getOriginalMessage().lines().findFirst().orElse(""), e);
    } catch (IOException e) {
      throw EdgeoptException.invalid(where + ": cannot parse: " + e.getMessage(), e);
    }
    return lines;
  }

  private static List<String> reversed(java.util.Deque<String> d) {
    List<String> l = new java.util.ArrayList<>(d);
    java.util.Collections.reverse(l);
    return l;
  }

  private static PipelineConfig resolve(PipelineConfig c, Path base) {
    Path b = base == null ? Path.of(".") : base;
    PipelineConfig.Calibration cal = c.calibration() == null ? null : new PipelineConfig.Calibration(
        r(b, c.calibration().data()), c.calibration().method(), c.calibration().samples(), c.calibration().labelColumn());
    PipelineConfig.Holdout hold = c.holdout() == null ? null
        : new PipelineConfig.Holdout(r(b, c.holdout().data()), c.holdout().labelColumn(), c.holdout().samples());
    return new PipelineConfig(r(b, c.model()), r(b, c.reference()), c.target(), c.precision(), c.preprocess(), c.classes(),
        cal, c.pruning(), hold, c.gate(), c.compile(), r(b, c.output()));
  }

  private static Path r(Path base, Path p) {
    return p == null ? null : p.isAbsolute() ? p : base.resolve(p).normalize();
  }

  private static void check(PipelineConfig c, Path where, Map<String, Integer> lines) throws EdgeoptException {
    require(Files.isRegularFile(c.model()), where, lines, "model", "expected an ONNX model file, found nothing at " + c.model());
    if (c.reference() != null) {
      require(Files.isRegularFile(c.reference()), where, lines, "reference", "expected a TorchScript file, found nothing at " + c.reference());
    }
    try {
      TargetProfiles.get(c.target());
    } catch (EdgeoptException e) {
      throw fail(where, lines, "target", e.getMessage());
    }
    require(Set.of("int8", "fp16").contains(c.precision().toLowerCase(Locale.ROOT)), where, lines, "precision",
        "expected int8 or fp16, found '" + c.precision() + "'");
    require(c.calibration().data() != null && Files.exists(c.calibration().data()), where, lines, "calibration.data",
        "expected calibration data, found nothing at " + c.calibration().data());
    require(c.calibration().method() == null || METHODS.contains(c.calibration().method()), where, lines,
        "calibration.method", "expected one of " + METHODS + ", found '" + c.calibration().method() + "'");
    require(c.calibration().samples() >= 0, where, lines, "calibration.samples", "expected a count >= 0, found " + c.calibration().samples());
    require(PRUNING.contains(c.pruning().mode()), where, lines, "pruning.mode",
        "expected one of " + PRUNING + ", found '" + c.pruning().mode() + "'");
    require(c.pruning().budget() > 0, where, lines, "pruning.budget", "expected a positive number of points, found " + c.pruning().budget());
    require(c.holdout().data() != null && Files.exists(c.holdout().data()), where, lines, "holdout.data",
        "expected holdout data, found nothing at " + c.holdout().data());
    require(c.gate().maxTop1Drop() >= 0 && Double.isFinite(c.gate().maxTop1Drop()), where, lines, "gate.maxTop1Drop",
        "expected a finite number of points >= 0, found " + c.gate().maxTop1Drop());
    require(c.gate().maxP95LatencyMs() >= 0 && Double.isFinite(c.gate().maxP95LatencyMs()), where, lines,
        "gate.maxP95LatencyMs", "expected a finite number of milliseconds >= 0 (0 = no limit), found "
            + c.gate().maxP95LatencyMs());
    require(c.gate().minAgreement() >= 0 && c.gate().minAgreement() <= 100, where, lines, "gate.minAgreement",
        "expected a percentage 0..100, found " + c.gate().minAgreement());
    require(c.compile().ioType() == null || Set.of("int8", "uint8").contains(c.compile().ioType()), where, lines,
        "compile.ioType", "expected int8 or uint8, found '" + c.compile().ioType() + "'");
  }

  private static void require(boolean ok, Path where, Map<String, Integer> lines, String key, String message)
      throws EdgeoptException {
    if (!ok) {
      throw fail(where, lines, key, message);
    }
  }

  private static EdgeoptException fail(Path where, Map<String, Integer> lines, String key, String message) {
    Integer line = lines.get(key);
    return EdgeoptException.invalid(where + (line == null ? "" : ":" + line) + ": key '" + key + "': " + message);
  }
}
