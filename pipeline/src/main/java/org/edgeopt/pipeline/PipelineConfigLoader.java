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
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.compile.tflite.IoType;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.prune.PruneMode;
import org.edgeopt.quantize.Precision;

/**
 * Reads and checks {@code edgeopt.yaml}: every error names the file, the key and its line.
 */
public final class PipelineConfigLoader {
  // The accepted words are the stages' own ids, so a method or mode added there is accepted here.
  private static final Set<String> METHODS = ids(CalibrationMethod.values(), CalibrationMethod::id);
  private static final Set<String> PRUNING = union("none", ids(PruneMode.values(), PruneMode::id));
  private static final Set<String> PRECISIONS = ids(Precision.values(), Precision::id);
  private static final Set<String> IO_TYPES = ids(IoType.values(), IoType::id);

  private PipelineConfigLoader() {}

  /** Loads the config and resolves its relative paths against the config file's folder. */
  public static PipelineConfig load(Path file) throws EdgeoptException {
    if (!Files.isRegularFile(file)) {
      throw EdgeoptException.invalid(
          file + ": pipeline config not found (expected an edgeopt.yaml)");
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
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // samples: 1.5 is not 1 sample: a count written with a fraction is a mistake to show.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    Map<String, Integer> lines = keyLines(yaml, text, where);
    PipelineConfig c;
    try {
      c = yaml.readValue(text, PipelineConfig.class);
    } catch (JsonMappingException e) {
      String key =
          e.getPath().stream()
              .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
              .reduce((a, b) -> a + "." + b)
              .orElse("(top level)");
      JsonLocation loc = e.getLocation();
      String reason = e.getOriginalMessage().lines().findFirst().orElse("");
      if (reason.contains("Unrecognized field")) {
        reason = "unknown key (expected one of the keys documented in docs/pipeline.md)";
      } else if (!reason.contains("Missing required creator property")) {
        reason = plainReason(e, reason);
        if (reason.startsWith("classes ")) {
          key = "classes";
        }
      } else {
        String missing = reason.replaceAll(".*'([^']+)'.*", "$1");
        key =
            key.equals("(top level)")
                ? missing
                : key.equals(missing) || key.endsWith("." + missing) ? key : key + "." + missing;
        reason = "required key is missing";
      }
      Integer line =
          lines.containsKey(key)
              ? lines.get(key)
              : loc == null ? null : Integer.valueOf(loc.getLineNr());
      throw EdgeoptException.invalid(
          where + (line == null ? "" : ":" + line) + ": key '" + key + "': " + reason, e);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      throw EdgeoptException.invalid(
          where
              + (loc == null ? "" : ":" + loc.getLineNr())
              + ": not valid YAML: "
              + e.getOriginalMessage().lines().findFirst().orElse(""),
          e);
    }
    if (c == null) {
      throw EdgeoptException.invalid(
          where + ": the config is empty (expected model, target, calibration and holdout keys)");
    }
    c = resolve(c, base);
    check(c, where, lines);
    return c;
  }

  /**
   * Returns what Jackson's message says in the config's terms: the kind of value expected and
   * the value found, without Java class names or exception texts.
   */
  static String plainReason(JsonMappingException e, String jackson) {
    if (e instanceof com.fasterxml.jackson.databind.exc.ValueInstantiationException) {
      return e.getCause() instanceof IllegalArgumentException iae
          ? iae.getMessage()
          : "a list entry or value is empty: expected a value in every place";
    }
    java.util.regex.Matcher range =
        java.util.regex.Pattern.compile("Numeric value \\((.*?)\\) out of range of (\\w+)")
            .matcher(jackson);
    if (range.find()) {
      return "expected a whole number from 0 to " + Integer.MAX_VALUE + ", found " + range.group(1);
    }
    java.util.regex.Matcher malformed =
        java.util.regex.Pattern.compile("Malformed numeric value '(.*?)'").matcher(jackson);
    if (malformed.find()) {
      return "expected a number, found '" + malformed.group(1) + "'";
    }
    Class<?> type =
        e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m
            ? m.getTargetType()
            : null;
    if (type == null) {
      // Unknown shape of message: keep its first clause, without Jackson's type names.
      return jackson.replaceAll("`[^`]*`", "value").replaceAll(" \\(although.*", "");
    }
    return "expected " + expected(type) + found(e, jackson);
  }

  private static String expected(Class<?> type) {
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "a whole number";
    }
    if (type == double.class
        || type == Double.class
        || type == float.class
        || type == Float.class) {
      return "a number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "text";
    }
    if (Path.class.isAssignableFrom(type)) {
      return "a file or folder path";
    }
    if (java.util.Collection.class.isAssignableFrom(type)) {
      return "a list, e.g. [cat, dog]";
    }
    return "a mapping of keys (see docs/pipeline.md)";
  }

  private static String found(JsonMappingException e, String jackson) {
    if (e instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException f) {
      return ", found '" + f.getValue() + "'";
    }
    String[][] patterns = {
      {"from String value \\('(.*?)'\\)", ", found '%s'"},
      {"from String \"(.*?)\"", ", found '%s'"},
      {"from Number value \\((.*?)\\)", ", found %s"},
      {"Floating-point value \\((.*?)\\)", ", found %s"},
      {"from Boolean value \\((.*?)\\)", ", found %s"},
    };
    for (String[] p : patterns) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(p[0]).matcher(jackson);
      if (m.find()) {
        return String.format(Locale.ROOT, p[1], m.group(1));
      }
    }
    if (jackson.contains("Array value") || jackson.contains("START_ARRAY")) {
      return ", found a list";
    }
    if (jackson.contains("Object value") || jackson.contains("START_OBJECT")) {
      return ", found a mapping";
    }
    return "";
  }

  private static Map<String, Integer> keyLines(ObjectMapper yaml, String text, Path where)
      throws EdgeoptException {
    Map<String, Integer> lines = new HashMap<>();
    try (JsonParser p = yaml.getFactory().createParser(text)) {
      java.util.Deque<String> path = new java.util.ArrayDeque<>();
      // The keys seen in each open mapping: YAML parsers keep the last of two equal keys, which
      // would silently drop the first setting.
      java.util.Deque<Map<String, Integer>> seen = new java.util.ArrayDeque<>();
      String pending = null;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t == JsonToken.FIELD_NAME) {
          pending = p.currentName();
          String full = (path.isEmpty() ? "" : String.join(".", reversed(path)) + ".") + pending;
          int line = p.currentTokenLocation().getLineNr();
          Integer before = seen.isEmpty() ? null : seen.peek().putIfAbsent(pending, line);
          if (before != null) {
            throw EdgeoptException.invalid(
                where
                    + ":"
                    + line
                    + ": key '"
                    + full
                    + "' appears twice (lines "
                    + before
                    + " and "
                    + line
                    + "): expected each key once");
          }
          lines.put(full, line);
        } else if (t == JsonToken.START_OBJECT) {
          seen.push(new HashMap<>());
          if (pending != null) {
            path.push(pending);
          } else if (!lines.isEmpty() || path.size() > 0) {
            path.push("[]");
          }
          pending = null;
        } else if (t == JsonToken.END_OBJECT) {
          seen.pop();
          if (!path.isEmpty()) {
            path.pop();
          }
        } else {
          pending = null;
        }
      }
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      throw EdgeoptException.invalid(
          where
              + (loc == null ? "" : ":" + loc.getLineNr())
              + ": not valid YAML: "
              + e.getOriginalMessage().lines().findFirst().orElse(""),
          e);
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
    PipelineConfig.Calibration cal =
        c.calibration() == null
            ? null
            : new PipelineConfig.Calibration(
                r(b, c.calibration().data()),
                c.calibration().method(),
                c.calibration().samples(),
                c.calibration().labelColumn());
    PipelineConfig.Holdout hold =
        c.holdout() == null
            ? null
            : new PipelineConfig.Holdout(
                r(b, c.holdout().data()), c.holdout().labelColumn(), c.holdout().samples());
    PipelineConfig.Cascade cas =
        c.cascade() == null
            ? null
            : new PipelineConfig.Cascade(
                r(b, c.cascade().small()),
                r(b, c.cascade().large()),
                c.cascade().minAccuracy(),
                c.cascade().maxEscalation(),
                c.cascade().recallFloors(),
                c.cascade().smallCost(),
                c.cascade().largeCost());
    return new PipelineConfig(
        r(b, c.model()),
        r(b, c.reference()),
        c.target(),
        c.precision(),
        c.preprocess(),
        c.classes(),
        cal,
        c.pruning(),
        hold,
        c.gate(),
        c.compile(),
        r(b, c.output()),
        c.packaging() == null
            ? null
            : new PipelineConfig.Packaging(
                r(b, c.packaging().key()),
                c.packaging().name(),
                c.packaging().version(),
                r(b, c.packaging().bundle())),
        c.optimize(),
        c.split(),
        cas);
  }

  private static Path r(Path base, Path p) {
    return p == null ? null : p.isAbsolute() ? p : base.resolve(p).normalize();
  }

  private static void check(PipelineConfig c, Path where, Map<String, Integer> lines)
      throws EdgeoptException {
    // A key written without a value ("holdout:") reads as null: say so before anything uses it.
    require(
        c.model() != null,
        where,
        lines,
        "model",
        "has no value: expected the path of an ONNX model");
    require(
        c.target() != null,
        where,
        lines,
        "target",
        "has no value: expected a target profile (see edgeopt targets)");
    require(
        c.calibration() != null,
        where,
        lines,
        "calibration",
        "has no value: expected a mapping with at least data:");
    require(
        c.holdout() != null,
        where,
        lines,
        "holdout",
        "has no value: expected a mapping with at least data:");
    require(
        c.calibration().data() != null,
        where,
        lines,
        "calibration.data",
        "has no value: expected the calibration data's path");
    require(
        c.holdout().data() != null,
        where,
        lines,
        "holdout.data",
        "has no value: expected the holdout data's path");
    require(
        Files.isRegularFile(c.model()),
        where,
        lines,
        "model",
        "expected an ONNX model file, found nothing at " + c.model());
    if (c.reference() != null) {
      require(
          Files.isRegularFile(c.reference()),
          where,
          lines,
          "reference",
          "expected a TorchScript file, found nothing at " + c.reference());
    }
    try {
      TargetProfiles.get(c.target());
    } catch (EdgeoptException e) {
      throw fail(where, lines, "target", e.getMessage());
    }
    require(
        PRECISIONS.contains(c.precision().toLowerCase(Locale.ROOT)),
        where,
        lines,
        "precision",
        "expected " + String.join(" or ", PRECISIONS) + ", found '" + c.precision() + "'");
    require(
        c.calibration().data() != null && Files.exists(c.calibration().data()),
        where,
        lines,
        "calibration.data",
        "expected calibration data, found nothing at " + c.calibration().data());
    require(
        c.calibration().method() == null || METHODS.contains(c.calibration().method()),
        where,
        lines,
        "calibration.method",
        "expected one of " + METHODS + ", found '" + c.calibration().method() + "'");
    require(
        c.calibration().samples() >= 0,
        where,
        lines,
        "calibration.samples",
        "expected a count >= 0 (0 for all), found " + c.calibration().samples());
    require(
        c.holdout().samples() >= 0,
        where,
        lines,
        "holdout.samples",
        "expected a count >= 0 (0 for all), found " + c.holdout().samples());
    require(
        c.gate().maxP95LatencyMs() >= 0,
        where,
        lines,
        "gate.maxP95LatencyMs",
        "expected milliseconds >= 0 (0 for no " + "limit), found " + c.gate().maxP95LatencyMs());
    require(
        PRUNING.contains(c.pruning().mode()),
        where,
        lines,
        "pruning.mode",
        "expected one of " + PRUNING + ", found '" + c.pruning().mode() + "'");
    require(
        c.pruning().budget() > 0,
        where,
        lines,
        "pruning.budget",
        "expected a positive number of points, found " + c.pruning().budget());
    require(
        c.holdout().data() != null && Files.exists(c.holdout().data()),
        where,
        lines,
        "holdout.data",
        "expected holdout data, found nothing at " + c.holdout().data());
    require(
        c.gate().maxTop1Drop() >= 0 && Double.isFinite(c.gate().maxTop1Drop()),
        where,
        lines,
        "gate.maxTop1Drop",
        "expected a finite number of points >= 0, found " + c.gate().maxTop1Drop());
    require(
        c.gate().maxP95LatencyMs() >= 0 && Double.isFinite(c.gate().maxP95LatencyMs()),
        where,
        lines,
        "gate.maxP95LatencyMs",
        "expected a finite number of milliseconds >= 0 (0 = no limit), found "
            + c.gate().maxP95LatencyMs());
    require(
        c.gate().minAgreement() >= 0 && c.gate().minAgreement() <= 100,
        where,
        lines,
        "gate.minAgreement",
        "expected a percentage 0..100, found " + c.gate().minAgreement());
    require(
        c.compile().ioType() == null || IO_TYPES.contains(c.compile().ioType()),
        where,
        lines,
        "compile.ioType",
        "expected " + String.join(" or ", IO_TYPES) + ", found '" + c.compile().ioType() + "'");
    if (c.packaging() != null) {
      require(
          c.packaging().key() != null && Files.isRegularFile(c.packaging().key()),
          where,
          lines,
          "package.key",
          "expected an Ed25519 private key file (edgeopt keygen), found nothing at "
              + c.packaging().key());
    }
  }

  /** Returns the ids of {@code values} in declaration order. */
  private static <E> Set<String> ids(E[] values, java.util.function.Function<E, String> id) {
    Set<String> ids = new java.util.LinkedHashSet<>();
    for (E v : values) {
      ids.add(id.apply(v));
    }
    return java.util.Collections.unmodifiableSet(ids);
  }

  private static Set<String> union(String first, Set<String> rest) {
    Set<String> all = new java.util.LinkedHashSet<>();
    all.add(first);
    all.addAll(rest);
    return java.util.Collections.unmodifiableSet(all);
  }

  private static void require(
      boolean ok, Path where, Map<String, Integer> lines, String key, String message)
      throws EdgeoptException {
    if (!ok) {
      throw fail(where, lines, key, message);
    }
  }

  private static EdgeoptException fail(
      Path where, Map<String, Integer> lines, String key, String message) {
    Integer line = lines.get(key);
    return EdgeoptException.invalid(
        where + (line == null ? "" : ":" + line) + ": key '" + key + "': " + message);
  }
}
