package org.edgeopt.quantize;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;

/**
 * What a quantization run did and measured, written as JSON beside the quantized model: per
 * layer its SQNR against FP32, output scale and zero point, and whether it stayed in float and
 * why; the end-to-end output SQNR and top-1 agreement; each automatic fallback step; and the
 * provenance of the inputs.
 *
 * @param formatVersion the version of this JSON format
 * @param edgeoptVersion the edgeopt version that wrote it
 * @param model the input model
 * @param modelSha256 SHA-256 of the input model
 * @param calibration the calibration table, or empty for FP16
 * @param calibrationSha256 SHA-256 of the calibration table, or empty
 * @param calibrationDataSha256 SHA-256 of the data the table was calibrated on, or empty
 * @param calibrationMethod the calibrator that made the table, or empty
 * @param config the quantization configuration
 * @param preparation the rewrites made before quantizing (opset conversion, folds)
 * @param layers one entry per layer, in graph order
 * @param outputSqnrDb the SQNR of the graph outputs against FP32, or null when not measured
 * @param top1Agreement the share of measured samples with the same top-1 class as FP32, or null
 * @param measuredSamples how many samples the SQNR figures are from (0: not measured)
 * @param fallback the layers returned to float automatically, in order
 * @param budgetMet whether the fallback budget was met (true when none was given)
 * @param quantizedOps the operator histogram of the written model
 * @param warnings things a user should know, one line each
 * @param passes the optional passes run before quantizing (cross-layer equalization, bias
 *     correction), in order, each with what it changed
 */
public record QuantizationReport(
    int formatVersion,
    String edgeoptVersion,
    String model,
    String modelSha256,
    String calibration,
    String calibrationSha256,
    String calibrationDataSha256,
    String calibrationMethod,
    Map<String, Object> config,
    List<String> preparation,
    List<LayerReport> layers,
    Double outputSqnrDb,
    Double top1Agreement,
    int measuredSamples,
    List<FallbackStep> fallback,
    boolean budgetMet,
    Map<String, Integer> quantizedOps,
    List<String> warnings,
    List<PassReport> passes) {

  /** The current JSON format version. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public QuantizationReport {
    config =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(config == null ? Map.of() : config));
    preparation = List.copyOf(preparation == null ? List.of() : preparation);
    layers = List.copyOf(layers == null ? List.of() : layers);
    fallback = List.copyOf(fallback == null ? List.of() : fallback);
    quantizedOps =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(quantizedOps == null ? Map.of() : quantizedOps));
    warnings = List.copyOf(warnings == null ? List.of() : warnings);
    passes = List.copyOf(passes == null ? List.of() : passes);
  }

  /**
   * One optional pass and what it did.
   *
   * @param name the pass: {@code crossLayerEqualization} or {@code biasCorrection}
   * @param samples how many calibration samples it measured on (0: none)
   * @param changes one line per layer or pair it changed or skipped
   */
  public record PassReport(String name, int samples, List<String> changes) {
    public PassReport {
      changes = List.copyOf(changes == null ? List.of() : changes);
    }
  }

  /**
   * One layer's outcome.
   *
   * @param node the node name
   * @param op the operator
   * @param output the tensor the layer writes
   * @param sqnrDb the SQNR of that tensor against FP32 in the quantized model (errors of all
   *     layers before it included), or null when not measured
   * @param addedSqnrDb the SQNR of the noise this layer adds to what it reads (its own
   *     contribution; fallback returns the lowest first), or null
   * @param scale the scale of its quantized output, or null
   * @param zeroPoint the zero point of its quantized output, or null
   * @param weightScaleMin the smallest per-channel weight scale, or null
   * @param weightScaleMax the largest per-channel weight scale, or null
   * @param isFloat whether it stayed in float
   * @param reason why it stayed in float; empty otherwise
   * @param foldedActivation the ReLU/Clip node folded into its output range, or null
   * @param foldedActivationOp that node's operator ({@code Relu} or {@code Clip}), or null
   */
  public record LayerReport(
      String node,
      String op,
      String output,
      Double sqnrDb,
      Double addedSqnrDb,
      Float scale,
      Long zeroPoint,
      Float weightScaleMin,
      Float weightScaleMax,
      boolean isFloat,
      String reason,
      String foldedActivation,
      String foldedActivationOp) {}

  /**
   * One automatic return of a layer to float.
   *
   * @param node the layer
   * @param op its operator
   * @param addedSqnrDb its added-noise SQNR when chosen (lowest first among the quantized layers)
   * @param outputSqnrDbBefore the end-to-end output SQNR before it went back to float
   * @param outputSqnrDbAfter the end-to-end output SQNR after
   * @param top1AgreementBefore the top-1 agreement before, or null
   * @param top1AgreementAfter the top-1 agreement after, or null
   * @param candidatesTried how many layers the step tried before keeping this one
   */
  public record FallbackStep(
      String node,
      String op,
      double addedSqnrDb,
      double outputSqnrDbBefore,
      double outputSqnrDbAfter,
      Double top1AgreementBefore,
      Double top1AgreementAfter,
      int candidatesTried) {}

  /** Returns the layers that stayed in float. */
  public List<LayerReport> floatLayers() {
    return layers.stream().filter(LayerReport::isFloat).toList();
  }

  /** Returns the report as indented JSON; infinite SQNR (exact results) is written as "Infinity". */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("quantization report does not serialize", e);
    }
  }

  /** Writes the report atomically. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, toJson());
  }

  /** Reads a report written by {@link #write}. */
  public static QuantizationReport read(Path file) throws EdgeoptException {
    if (!Files.isRegularFile(file)) {
      throw EdgeoptException.invalid(file + ": quantization report not found");
    }
    try {
      return JSON.readValue(file.toFile(), QuantizationReport.class);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file
              + ": not a quantization report: "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
          e);
    }
  }

  /** Returns where a quantized model's report goes: {@code m.int8.onnx -> m.int8.quantization.json}. */
  public static Path pathFor(Path model) {
    String name = model.getFileName().toString();
    String base = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
    return model.resolveSibling(base + ".quantization.json");
  }
}
