package org.edgeopt.core.runtime;

import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;

/** A loaded model that runs on named tensors; close it to free its native memory. */
public interface InferenceSession extends AutoCloseable {

  /** Returns the input names, in the model's order. */
  List<String> inputNames();

  /** Returns the output names, in the model's order. */
  List<String> outputNames();

  /** Returns the declared type of each input (dimensions -1 where dynamic). */
  Map<String, TensorType> inputTypes();

  /** Runs the model and returns every output by name. */
  default Map<String, Tensor> run(Map<String, Tensor> inputs) throws EdgeoptException {
    return run(inputs, outputNames());
  }

  /** Runs the model and returns the named outputs. */
  Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputs) throws EdgeoptException;

  @Override
  void close();
}
