package org.edgeopt.core.runtime;

import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;

/** Something that can run models: ONNX Runtime, TorchScript, a TFLite interpreter. */
public interface InferenceRuntime {

  /** Returns a short name for reports, e.g. {@code onnxruntime-1.29.0}. */
  String name();

  /** Opens a session on an in-memory graph. */
  InferenceSession open(Graph graph, SessionOptions options) throws EdgeoptException;

  /** Opens a session on a model file. */
  InferenceSession open(Path model, SessionOptions options) throws EdgeoptException;
}
