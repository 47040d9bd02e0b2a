package org.edgeopt.compile.tensorrt;

import java.util.List;

/**
 * The result of checking a QDQ model against TensorRT's Q/DQ placement rules.
 *
 * @param violations the rules broken, each naming its node
 * @param int8Layers the weighted layers TensorRT will run in int8 (both inputs quantized)
 * @param floatLayers the weighted layers without any quantized input (deliberate float fallbacks)
 */
public record QdqPlacementReport(
    List<Violation> violations, List<String> int8Layers, List<String> floatLayers) {
  public QdqPlacementReport {
    violations = List.copyOf(violations);
    int8Layers = List.copyOf(int8Layers);
    floatLayers = List.copyOf(floatLayers);
  }

  /**
   * One broken rule.
   *
   * @param rule the rule's short id, e.g. {@code residual-add}
   * @param node the name of the node that breaks it
   * @param message what was expected and what was found, on one line
   */
  public record Violation(String rule, String node, String message) {
    @Override
    public String toString() {
      return rule + ": " + message;
    }
  }

  /** Returns whether no rule is broken. */
  public boolean ok() {
    return violations.isEmpty();
  }

  /** Returns the violations of one rule. */
  public List<Violation> violations(String rule) {
    return violations.stream().filter(v -> v.rule().equals(rule)).toList();
  }

  /** Returns a short summary, then one line per violation. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(int8Layers.size())
        .append(" int8 layers, ")
        .append(floatLayers.size())
        .append(" float layers, ")
        .append(violations.size())
        .append(" placement violations");
    violations.forEach(v -> sb.append(System.lineSeparator()).append("  ").append(v));
    return sb.toString();
  }
}
