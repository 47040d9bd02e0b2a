package org.edgeopt.core.targets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;

/**
 * Which target profile a model was made for when the user names none: the one `edgeopt quantize`
 * stamped into an ONNX model's metadata, {@code edgetpu} for a TFLite file (edgeopt compiles
 * TFLite only for the Edge TPU), else the portable {@code onnxruntime-cpu}.
 */
public final class ModelTargets {
  /** The metadata key under which the quantizer records its configuration, target included. */
  public static final String QUANTIZE_CONFIG_KEY = "edgeopt.quantize.config";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelTargets() {}

  /**
   * A resolved profile and where it came from.
   *
   * @param profile the profile
   * @param source {@code model metadata} or {@code default}
   */
  public record Resolved(TargetProfile profile, String source) {}

  /**
   * Returns the profile {@code model} was made for.
   *
   * @param onnx the model's graph when it is ONNX and already read, else null (its metadata is
   *     then not consulted)
   */
  public static Resolved of(Path model, Graph onnx) throws EdgeoptException {
    String stamped = onnx == null ? null : onnx.info().metadata().get(QUANTIZE_CONFIG_KEY);
    if (stamped != null) {
      try {
        JsonNode target = JSON.readTree(stamped).get("target");
        if (target != null && TargetProfiles.builtIn().containsKey(target.asText())) {
          return new Resolved(TargetProfiles.get(target.asText()), "model metadata");
        }
      } catch (IOException e) {
        // Unreadable metadata names no target: the default follows.
      }
    }
    String file = model.getFileName() == null ? "" : model.getFileName().toString();
    return new Resolved(
        TargetProfiles.get(
            file.toLowerCase(Locale.ROOT).endsWith(".tflite") ? "edgetpu" : "onnxruntime-cpu"),
        "default");
  }
}
