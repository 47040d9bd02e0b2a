package org.edgeopt.compile.tflite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.io.AtomicFiles;

/**
 * Which operators of a lowered model would run on the Edge TPU, and why the others would not,
 * written as {@code edgetpu-compatibility.json}.
 *
 * <p>The Edge TPU compiler maps operators in order until the first one it cannot map; that one
 * and every operator after it run on the CPU. {@link #firstCpuOperator()} names it.
 *
 * @param profile the target profile checked against
 * @param operators every operator in execution order (plus the first ONNX node the lowering could not map)
 * @param onTpu how many operators would run on the Edge TPU
 * @param firstCpuOperator the first operator that would fall back to the CPU, or null when none
 * @param findings every rule broken, one line each, in operator order
 * @param extra further sections (verification, edgetpu_compiler), in insertion order
 */
public record EdgeTpuCompatibilityReport(
    String profile,
    List<Entry> operators,
    int onTpu,
    Entry firstCpuOperator,
    List<String> findings,
    Map<String, Object> extra) {

  /** The format version of {@code edgetpu-compatibility.json}. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One operator.
   *
   * @param index its position in execution order
   * @param tfliteOp the TFLite builtin operator, or null for an ONNX node that was not lowered
   * @param onnxNode the ONNX node it came from
   * @param profileOp the operator it is looked up under in the profile: the ONNX operator the TFLite builtin
   *     implements (FULLY_CONNECTED is Gemm, MEAN is ReduceMean), or the ONNX operator of a node not lowered
   * @param onTpu whether it would run on the Edge TPU
   * @param reasons why not, empty when it would (the first reason is the decisive one)
   */
  public record Entry(
      int index,
      String tfliteOp,
      String onnxNode,
      String profileOp,
      boolean onTpu,
      List<String> reasons) {
    public Entry {
      reasons = List.copyOf(reasons);
    }

    /** Returns a one-line description, e.g. {@code #3 CONV_2D (from 'conv1')} or {@code #4 LRN 'norm1' (not lowered)}. */
    public String describe() {
      return "#"
          + index
          + " "
          + (tfliteOp == null
              ? profileOp + " '" + onnxNode + "' (not lowered)"
              : tfliteOp + " (from '" + onnxNode + "')");
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", index);
      m.put("tfliteOp", tfliteOp);
      m.put("onnxNode", onnxNode);
      m.put("profileOp", profileOp);
      m.put("onEdgeTpu", onTpu);
      if (!reasons.isEmpty()) {
        m.put("reasons", reasons);
      }
      return m;
    }
  }

  public EdgeTpuCompatibilityReport {
    operators = List.copyOf(operators);
    findings = List.copyOf(findings);
    extra =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(extra == null ? Map.of() : extra));
  }

  /** Returns whether every operator would run on the Edge TPU. */
  public boolean compatible() {
    return firstCpuOperator == null && !operators.isEmpty();
  }

  /** Returns the fraction of operators on the Edge TPU. */
  public double mappedFraction() {
    return operators.isEmpty() ? 0 : (double) onTpu / operators.size();
  }

  /** Returns a copy with one more section (e.g. {@code verification}). */
  public EdgeTpuCompatibilityReport with(String section, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(extra);
    m.put(section, value);
    return new EdgeTpuCompatibilityReport(profile, operators, onTpu, firstCpuOperator, findings, m);
  }

  /** Returns the one-line verdict for the user. */
  public String summary() {
    String s = onTpu + " of " + operators.size() + " operators map to the Edge TPU";
    if (firstCpuOperator != null) {
      s +=
          "; the first to fall back to the CPU is "
              + firstCpuOperator.describe()
              + ": "
              + firstCpuOperator.reasons().get(0)
              + " (it and every operator after it run on the CPU)";
    }
    return s;
  }

  /** Returns the report as a JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("formatVersion", FORMAT_VERSION);
    m.put("profile", profile);
    m.put("compatible", compatible());
    m.put("operatorsTotal", operators.size());
    m.put("operatorsOnEdgeTpu", onTpu);
    m.put("mappedFraction", mappedFraction());
    m.put("firstCpuOperator", firstCpuOperator == null ? null : firstCpuOperator.toMap());
    m.put("summary", summary());
    m.put("findings", findings);
    List<Map<String, Object>> ops = new ArrayList<>();
    operators.forEach(e -> ops.add(e.toMap()));
    m.put("operators", ops);
    m.putAll(extra);
    return m;
  }

  /** Returns the report as indented JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toMap()) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("compatibility report does not serialize", e);
    }
  }

  /** Writes the report atomically. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, toJson());
  }
}
