package org.edgeopt.core.runtime;

import java.nio.file.Path;
import java.util.Locale;
import java.util.ServiceLoader;
import org.edgeopt.core.EdgeoptException;

/** Picks the runtime for a model file: ONNX Runtime, or a plug-in's (TorchScript, TFLite). */
public final class Runtimes {
  private Runtimes() {}

  /**
   * Returns the runtime for {@code model}: {@code .onnx} runs in ONNX Runtime, anything else in
   * the first {@link RuntimeProvider} that accepts it ({@code .pt} / {@code .torchscript} in
   * PyTorch when {@code edgeopt-runtime-torchscript} is on the class path, inputs named as in
   * {@code torchInputNames}; {@code .tflite} with the TFLite target).
   */
  public static InferenceRuntime forModel(Path model, java.util.List<String> torchInputNames)
      throws EdgeoptException {
    String n = model.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".onnx")) {
      return OrtRuntime.get();
    }
    for (RuntimeProvider p : ServiceLoader.load(RuntimeProvider.class)) {
      if (p.accepts(model)) {
        return p.runtime(torchInputNames);
      }
    }
    throw EdgeoptException.invalid(
        model
            + ": no runtime for this kind of file (expected .onnx, .pt with"
            + " edgeopt-runtime-torchscript installed, or .tflite with the TFLite target installed)");
  }
}
