package org.edgeopt.compile.tflite;

import java.nio.file.Path;
import java.util.Locale;
import org.edgeopt.core.runtime.InferenceRuntime;
import org.edgeopt.core.runtime.RuntimeProvider;

/** Makes {@code .tflite} files runnable through {@link org.edgeopt.core.runtime.Runtimes#forModel}. */
public final class TfliteRuntimeProvider implements RuntimeProvider {

  @Override
  public boolean accepts(Path model) {
    return model.getFileName() != null
        && model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tflite");
  }

  @Override
  public InferenceRuntime runtime() {
    return new TfliteRuntime();
  }
}
