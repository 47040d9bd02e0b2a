package org.edgeopt.runtime.torchscript;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.edgeopt.core.runtime.InferenceRuntime;
import org.edgeopt.core.runtime.RuntimeProvider;

/**
 * Makes TorchScript files ({@code .pt}, {@code .torchscript}) runnable through {@link
 * org.edgeopt.core.runtime.Runtimes#forModel}, so that only the front ends that want the PyTorch
 * reference carry PyTorch's native library.
 */
public final class TorchScriptRuntimeProvider implements RuntimeProvider {

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public TorchScriptRuntimeProvider() {}

  @Override
  public boolean accepts(Path model) {
    if (model.getFileName() == null) {
      return false;
    }
    String n = model.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".pt") || n.endsWith(".torchscript");
  }

  @Override
  public InferenceRuntime runtime() {
    return new TorchScriptRuntime();
  }

  @Override
  public InferenceRuntime runtime(List<String> inputNames) {
    return new TorchScriptRuntime(inputNames);
  }
}
