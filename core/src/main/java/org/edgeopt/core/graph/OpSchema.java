package org.edgeopt.core.graph;

import java.util.Set;

/**
 * What a default-domain ONNX operator accepts: input and output counts and required attributes.
 *
 * @param opType the operator name
 * @param minInputs the fewest inputs (omitted optional inputs count as present)
 * @param maxInputs the most inputs, {@link Integer#MAX_VALUE} for variadic
 * @param minOutputs the fewest outputs
 * @param maxOutputs the most outputs
 * @param requiredAttributes attributes that must be present
 */
public record OpSchema(
    String opType,
    int minInputs,
    int maxInputs,
    int minOutputs,
    int maxOutputs,
    Set<String> requiredAttributes) {

  /** Marks a variadic input or output list. */
  public static final int MANY = Integer.MAX_VALUE;

  public OpSchema {
    requiredAttributes = Set.copyOf(requiredAttributes);
  }

  /** Checks {@code node} against this schema; returns an error message or null when it fits. */
  public String check(Node node) {
    int in = node.inputs().size();
    if (in < minInputs || in > maxInputs) {
      return node.describe() + ": expected " + range(minInputs, maxInputs) + " inputs, found " + in;
    }
    int out = node.outputs().size();
    if (out < minOutputs || out > maxOutputs) {
      return node.describe()
          + ": expected "
          + range(minOutputs, maxOutputs)
          + " outputs, found "
          + out;
    }
    for (String a : requiredAttributes) {
      if (!node.attributes().containsKey(a)) {
        return node.describe() + ": required attribute '" + a + "' is missing";
      }
    }
    return null;
  }

  private static String range(int lo, int hi) {
    if (lo == hi) {
      return Integer.toString(lo);
    }
    return hi == MANY ? "at least " + lo : lo + " to " + hi;
  }
}
