package org.edgeopt.core.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;

/** Picks the runtime for a model file: ONNX Runtime, or a plug-in's (TorchScript, TFLite). */
public final class Runtimes {
  private Runtimes() {}

  /**
   * Returns the runtime for {@code model}: {@code .onnx} runs in ONNX Runtime, anything else in
   * the first {@link RuntimeProvider} that accepts it ({@code .pt} / {@code .torchscript} in
   * PyTorch when {@code edgeopt-runtime-torchscript} is installed, inputs named as in {@code
   * torchInputNames}; {@code .tflite} with the TFLite target). Providers on the class path come
   * first; the plug-in folders ({@link PluginLoader#fromEnvironment}) are opened only when none
   * of them accepts the file.
   */
  public static InferenceRuntime forModel(Path model, List<String> torchInputNames)
      throws EdgeoptException {
    return forModel(model, torchInputNames, PluginLoader::fromEnvironment);
  }

  /** {@link #forModel(Path, List)} with the plug-in folders of {@code plugins}, asked lazily. */
  static InferenceRuntime forModel(
      Path model, List<String> torchInputNames, Supplier<PluginLoader> plugins)
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
    PluginLoader loader = plugins.get();
    List<PluginLoader.Found<RuntimeProvider>> found;
    try {
      found = loader.load(RuntimeProvider.class);
    } catch (ServiceConfigurationError | RuntimeException e) {
      throw new EdgeoptException(
          ExitCode.INTERNAL,
          model + ": a runtime plug-in in " + describe(loader.roots()) + " is broken: " + e,
          e);
    }
    for (PluginLoader.Found<RuntimeProvider> f : found) {
      if (f.service().accepts(model)) {
        return new PluginRuntime(f.service().runtime(torchInputNames), f.loader());
      }
    }
    throw EdgeoptException.invalid(
        model
            + ": no runtime for this kind of file (expected .onnx, .pt with"
            + " edgeopt-runtime-torchscript installed, or .tflite with the TFLite target installed;"
            + " plug-in folders searched: "
            + describe(loader.roots())
            + ")");
  }

  private static String describe(List<Path> roots) {
    return roots.isEmpty()
        ? "none (set " + PluginLoader.PROPERTY + " or " + PluginLoader.ENV + ")"
        : roots.stream().map(Path::toString).collect(Collectors.joining(", "));
  }
}
