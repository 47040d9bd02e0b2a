package org.edgeopt.core.targets;

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
}
