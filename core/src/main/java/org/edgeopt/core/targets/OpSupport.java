package org.edgeopt.core.targets;

/**
 * Whether a target runs one ONNX operator, and under which constraints.
 *
 * @param supported whether the operator maps to the target's accelerator
 * @param constraints what must hold for it to map, in words
 */
public record OpSupport(boolean supported, String constraints) {
  public OpSupport {
    constraints = constraints == null ? "" : constraints;
  }
}
