package org.edgeopt.core.runtime;

import java.nio.file.Path;
import java.util.Locale;
import java.util.ServiceLoader;
import org.edgeopt.core.EdgeoptException;

/** Picks the runtime for a model file: ONNX Runtime, TorchScript, or a plug-in's. */
public final class Runtimes {
  private Runtimes() {}

  /**
   * Returns the runtime for {@code model}: {@code .onnx} runs in ONNX Runtime, {@code .pt} /
   * {@code .torchscript} in PyTorch (inputs named as in {@code torchInputNames}), anything else
   * in the first {@link RuntimeProvider} that accepts it.
   */
  public static InferenceRuntime forModel(Path model, java.util.List<String> torchInputNames) throws EdgeoptException {
    String n = model.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".onnx")) {
      return OrtRuntime.get();
    }
    if (n.endsWith(".pt") || n.endsWith(".torchscript")) {
      return new TorchScriptRuntime(torchInputNames);
    }
    for (RuntimeProvider p : ServiceLoader.load(RuntimeProvider.class)) {
      if (p.accepts(model)) {
        return p.runtime();
      }
    }
    throw EdgeoptException.invalid(model + ": no runtime for this kind of file (expected .onnx, .pt, or .tflite with the TFLite target installed)");
  }
}
