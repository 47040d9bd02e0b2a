package org.edgeopt.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.cost.ActivationPeak;
import org.edgeopt.core.io.AtomicFiles;

/**
 * What a model is and what it costs: its interface, operators, parameters, MACs, memory, how
 * each target profile covers it, and how it was normalised. Written as {@code model-card.json}.
 *
 * <p>Costs are counted on the normalised model with symbolic dimensions taken as 1 (batch 1).
 *
 * @param format the card format, {@value #FORMAT}
 * @param tool the edgeopt version that wrote the card
 * @param source the model file as given
 * @param model the normalised model: {@code model.onnx} and its SHA-256
 * @param opset the normalised model's default-domain opset
 * @param inputs the graph inputs
 * @param outputs the graph outputs
 * @param opHistogram node count per operator type, most frequent first
 * @param nodeCount the number of nodes
 * @param parameterCount the sum of the element counts of all initializers
 * @param weightBytes the size of all initializers in bytes
 * @param totalMacs the multiply-accumulates of one inference
 * @param layers the MACs of every Conv, ConvTranspose, Gemm and MatMul node, in graph order
 * @param peakActivation the most activation memory live at once, and where
 * @param targets how each target profile covers the model
 * @param fidelity the export-fidelity check, or null when no reference was given
 * @param passes what each normalisation pass did, in order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCard(
    String format,
    String tool,
    Source source,
    Artifact model,
    long opset,
    List<TensorSummary> inputs,
    List<TensorSummary> outputs,
    Map<String, Integer> opHistogram,
    int nodeCount,
    long parameterCount,
    long weightBytes,
    long totalMacs,
    List<LayerMacs> layers,
    ActivationPeak peakActivation,
    List<TargetCoverage> targets,
    FidelityCheck fidelity,
    List<String> passes) {

  /** The format name and version of the JSON card. */
  public static final String FORMAT = "edgeopt-model-card/1";

  /** The file name of the card in an output folder. */
  public static final String FILE_NAME = "model-card.json";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  public ModelCard {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    opHistogram = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(opHistogram));
    layers = List.copyOf(layers);
    targets = List.copyOf(targets);
    passes = List.copyOf(passes);
  }

  /**
   * The model file that was ingested.
   *
   * @param file the path as given
   * @param sha256 the SHA-256 of its bytes
   * @param producer the exporter that wrote it, with its version
   * @param irVersion its ONNX IR version
   * @param opset its default-domain opset
   * @param parameterCount the sum of the element counts of its initializers
   */
  public record Source(
      String file,
      String sha256,
      String producer,
      long irVersion,
      long opset,
      long parameterCount) {}

  /**
   * A file written by ingest.
   *
   * @param file the file name inside the output folder
   * @param sha256 the SHA-256 of its bytes
   */
  public record Artifact(String file, String sha256) {}

  /**
   * A graph input or output.
   *
   * @param name the value name
   * @param dataType the element type, e.g. {@code float}
   * @param shape the dimensions, -1 where symbolic or unknown (empty when the shape is unknown)
   * @param staticShape whether every dimension is known
   * @param display the type as people read it, e.g. {@code float[batch, 1, 28, 28]}
   */
  public record TensorSummary(
      String name, String dataType, List<Long> shape, boolean staticShape, String display) {
    public TensorSummary {
      shape = List.copyOf(shape);
    }
  }

  /**
   * The multiply-accumulates of one node.
   *
   * @param node the node name
   * @param opType its operator
   * @param macs its multiply-accumulates at batch 1
   * @param outputShape its output dimensions at batch 1
   */
  public record LayerMacs(String node, String opType, long macs, List<Long> outputShape) {
    public LayerMacs {
      outputShape = List.copyOf(outputShape);
    }
  }

  /**
   * How one target profile covers the model.
   *
   * @param profile the profile name
   * @param precisions the precisions the target runs
   * @param opTypes the number of distinct operator types in the model
   * @param supportedOpTypes how many of them the target runs
   * @param unsupported the operator types it does not run, with their nodes
   * @param constrained supported operator types the profile attaches conditions to
   * @param ruleViolations broken shape rules (static shapes, batch, active dimensions)
   * @param fits whether every operator is supported and no rule is broken
   * @param rooflineSeconds the roofline estimate of one inference per precision with a peak figure
   * @param notes other facts, e.g. that the target needs int8 quantization first
   * @param assumedIsa the instruction sets (or accelerator) the target profile assumes
   * @param int8Speedup what INT8 buys over FP32 on the target and why, and on this host when its
   *     integer kernels are not the target's
   */
  public record TargetCoverage(
      String profile,
      List<String> precisions,
      int opTypes,
      int supportedOpTypes,
      List<UnsupportedOp> unsupported,
      List<ConstrainedOp> constrained,
      List<String> ruleViolations,
      boolean fits,
      Map<String, Double> rooflineSeconds,
      List<String> notes,
      String assumedIsa,
      String int8Speedup) {
    public TargetCoverage {
      precisions = List.copyOf(precisions);
      unsupported = List.copyOf(unsupported);
      constrained = List.copyOf(constrained);
      ruleViolations = List.copyOf(ruleViolations);
      rooflineSeconds =
          java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(rooflineSeconds));
      notes = List.copyOf(notes);
    }
  }

  /**
   * An operator type a target does not run.
   *
   * @param opType the operator
   * @param nodes the nodes of that type
   * @param reason the profile's constraint text
   */
  public record UnsupportedOp(String opType, List<String> nodes, String reason) {
    public UnsupportedOp {
      nodes = List.copyOf(nodes);
    }
  }

  /**
   * A supported operator type with conditions attached by the profile.
   *
   * @param opType the operator
   * @param count how many nodes of that type the model has
   * @param constraints what must hold for it to map to the accelerator
   */
  public record ConstrainedOp(String opType, int count, String constraints) {}

  /** Returns the card as indented JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a model card did not serialize", e);
    }
  }

  /** Writes the card as JSON, atomically. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, toJson() + "\n");
  }

  /**
   * Reads a card written by {@link #write}.
   *
   * @throws EdgeoptException (exit 3) naming the file when it is missing or not a model card
   */
  public static ModelCard read(Path file) throws EdgeoptException {
    if (!Files.isRegularFile(file)) {
      throw EdgeoptException.invalid(file + ": model card not found");
    }
    try {
      ModelCard c = JSON.readValue(file.toFile(), ModelCard.class);
      if (!FORMAT.equals(c.format())) {
        throw EdgeoptException.invalid(
            file + ": expected a model card of format " + FORMAT + ", found " + c.format());
      }
      return c;
    } catch (IOException e) {
      String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw EdgeoptException.invalid(file + ": not a valid model card: " + why, e);
    }
  }
}
