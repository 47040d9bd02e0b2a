package org.edgeopt.core.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;

/**
 * A runtime from a plug-in folder, whose calls run with the plug-in's class loader as the
 * thread's context class loader: libraries such as DJL find their engines and native files
 * through the context loader, which otherwise cannot see the plug-in's jars.
 */
record PluginRuntime(InferenceRuntime delegate, ClassLoader loader) implements InferenceRuntime {

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public InferenceSession open(Graph graph, SessionOptions options) throws EdgeoptException {
    return inPlugin(loader, () -> new Session(delegate.open(graph, options), loader));
  }

  @Override
  public InferenceSession open(Path model, SessionOptions options) throws EdgeoptException {
    return inPlugin(loader, () -> new Session(delegate.open(model, options), loader));
  }

  /** A plug-in's session, run with the plug-in's context class loader too. */
  private record Session(InferenceSession delegate, ClassLoader loader)
      implements InferenceSession {

    @Override
    public List<String> inputNames() {
      return delegate.inputNames();
    }

    @Override
    public List<String> outputNames() {
      return delegate.outputNames();
    }

    @Override
    public Map<String, TensorType> inputTypes() {
      return delegate.inputTypes();
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputs)
        throws EdgeoptException {
      return inPlugin(loader, () -> delegate.run(inputs, outputs));
    }

    @Override
    public void close() {
      inPlugin(
          loader,
          () -> {
            delegate.close();
            return null;
          });
    }
  }

  /** A call into a plug-in. */
  private interface PluginCall<T, E extends Exception> {
    T call() throws E;
  }

  private static <T, E extends Exception> T inPlugin(ClassLoader loader, PluginCall<T, E> call)
      throws E {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      return call.call();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }
}
