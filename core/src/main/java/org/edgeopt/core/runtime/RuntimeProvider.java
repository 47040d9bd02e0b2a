package org.edgeopt.core.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * A plug-in that runs model files of some format, found through {@link java.util.ServiceLoader}
 * (e.g. the TFLite interpreter in the TFLite target module, PyTorch in {@code
 * runtime-torchscript}), so that validation can take any artifact edgeopt produces without
 * depending on the target modules, and so that no stage carries a runtime it does not use.
 */
public interface RuntimeProvider {

  /** Returns whether this provider runs the given model file (usually by its extension). */
  boolean accepts(Path model);

  /** Returns the runtime for such files. */
  InferenceRuntime runtime();

  /**
   * Returns the runtime for such files whose sessions call their positional inputs by {@code
   * inputNames}, in order (TorchScript); formats that name their inputs ignore the names.
   */
  default InferenceRuntime runtime(List<String> inputNames) {
    return runtime();
  }
}
