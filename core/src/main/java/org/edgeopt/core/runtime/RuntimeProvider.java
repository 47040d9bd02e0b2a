package org.edgeopt.core.runtime;

import java.nio.file.Path;

/**
 * A plug-in that runs model files of some format, found through {@link java.util.ServiceLoader}
 * (e.g. the TFLite interpreter in the TFLite target module), so that validation can take any
 * artifact edgeopt produces without depending on the target modules.
 */
public interface RuntimeProvider {

  /** Returns whether this provider runs the given model file (usually by its extension). */
  boolean accepts(Path model);

  /** Returns the runtime for such files. */
  InferenceRuntime runtime();
}
