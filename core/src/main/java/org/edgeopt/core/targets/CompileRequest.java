package org.edgeopt.core.targets;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to compile, for which profile, into which folder.
 *
 * @param model the (quantized or FP32) ONNX model file
 * @param profile the target profile
 * @param outputDir the folder to write artifacts into
 * @param precision {@code int8}, {@code fp16} or {@code fp32}
 * @param strict whether an incompatibility is an error (exit 5) rather than a warning
 * @param options target-specific options, e.g. {@code io-type=uint8}, {@code build-engine=true}
 */
public record CompileRequest(
    Path model,
    TargetProfile profile,
    Path outputDir,
    String precision,
    boolean strict,
    Map<String, String> options) {
  public CompileRequest {
    options = Map.copyOf(options == null ? Map.of() : options);
  }
}
