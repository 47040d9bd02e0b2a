package org.edgeopt.core.targets;

import java.util.List;
import org.edgeopt.core.EdgeoptException;

/**
 * A compile target plug-in, found through {@link java.util.ServiceLoader}: it turns a
 * quantized ONNX model into the artifacts a device runs.
 */
public interface Target {

  /** Returns the id that profiles name in their {@code target} field, e.g. {@code edgetpu}. */
  String id();

  /** Compiles for one profile; returns the artifacts written and what was found. */
  CompileResult compile(CompileRequest request) throws EdgeoptException;

  /**
   * Returns the precision to compile at when none is asked for: int8 for a quantized (QDQ) model
   * or a profile that runs nothing else, otherwise fp16 where the profile runs it, else fp32.
   * Targets whose float kernels are not faster in fp16 override this.
   *
   * @param quantized whether the model holds QuantizeLinear nodes
   */
  default String defaultPrecision(TargetProfile profile, boolean quantized) {
    if (quantized || profile.precisions().equals(List.of("int8"))) {
      return "int8";
    }
    return profile.supportsPrecision("fp16") ? "fp16" : "fp32";
  }
}
