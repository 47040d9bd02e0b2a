package org.edgeopt.ingest;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@link Ingestor} imports a model.
 *
 * @param minimumOpset the default-domain opset a model is upgraded to when it is lower (7 to
 *     {@value #MAX_OPSET}); models already at or above it keep theirs
 * @param reference a TorchScript ({@code .pt}) export of the same model to compare against, or
 *     null for no export-fidelity check
 * @param targets target profile names (or paths to profile JSON files) to cover in the model
 *     card; empty for every built-in profile
 */
public record IngestOptions(int minimumOpset, Path reference, List<String> targets) {
  /** The opset models are raised to by default: the first with per-channel QDQ. */
  public static final int DEFAULT_OPSET = 13;

  /** The lowest opset the ONNX version converter takes models to. */
  public static final int MIN_OPSET = 7;

  /** The highest default-domain opset of the bundled ONNX library (1.17). */
  public static final int MAX_OPSET = 22;

  public IngestOptions {
    if (minimumOpset < MIN_OPSET || minimumOpset > MAX_OPSET) {
      throw new IllegalArgumentException(
          "opset must be between " + MIN_OPSET + " and " + MAX_OPSET + ", found " + minimumOpset);
    }
    targets = List.copyOf(targets);
  }

  /** Returns the defaults: opset at least 13, no reference, every built-in target profile. */
  public static IngestOptions defaults() {
    return new IngestOptions(DEFAULT_OPSET, null, List.of());
  }

  /** Returns a copy with another minimum opset. */
  public IngestOptions withMinimumOpset(int opset) {
    return new IngestOptions(opset, reference, targets);
  }

  /** Returns a copy that checks export fidelity against a TorchScript file. */
  public IngestOptions withReference(Path torchScript) {
    return new IngestOptions(minimumOpset, torchScript, targets);
  }

  /** Returns a copy covering other target profiles (empty for all built-in ones). */
  public IngestOptions withTargets(List<String> profileNames) {
    return new IngestOptions(minimumOpset, reference, profileNames);
  }
}
