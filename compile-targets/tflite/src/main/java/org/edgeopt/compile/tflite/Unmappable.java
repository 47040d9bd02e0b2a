package org.edgeopt.compile.tflite;

import org.edgeopt.core.graph.Node;

/**
 * Raised inside the lowering when an ONNX node cannot become TFLite builtin operators: it names
 * the node and says why and what to do. The lowering turns it into a finding of the compatibility
 * report, and into an {@link org.edgeopt.core.EdgeoptException} for the user.
 */
final class Unmappable extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Node node;
  private final String reason;
  private final String hint;

  Unmappable(Node node, String reason, String hint) {
    super(node.describe() + ": " + reason + (hint == null || hint.isEmpty() ? "" : "; " + hint));
    this.node = node;
    this.reason = reason;
    this.hint = hint == null ? "" : hint;
  }

  Node node() {
    return node;
  }

  String reason() {
    return reason;
  }

  String hint() {
    return hint;
  }
}
