package org.edgeopt.core.runtime;

import java.nio.file.Path;

/**
 * How a runtime session is set up.
 *
 * @param threads intra-op threads, 0 for the runtime's default
 * @param optimization the graph optimization level
 * @param optimizedModelPath where to save the runtime's optimized graph, or null
 */
public record SessionOptions(int threads, Optimization optimization, Path optimizedModelPath) {

  /** Graph optimization levels, as ONNX Runtime names them. */
  public enum Optimization {
    /** No graph rewrites: runs the model exactly as written (for per-layer diagnosis). */
    NONE,
    /** Constant folding and redundant-node removal only. */
    BASIC,
    /** Also fusions, including QDQ to integer kernels; portable across machines. */
    EXTENDED,
    /** Also layout changes specific to this machine: never save a model optimized this way. */
    ALL
  }

  /** Returns the default: runtime-chosen threads, all optimizations, nothing saved. */
  public static SessionOptions defaults() {
    return new SessionOptions(0, Optimization.ALL, null);
  }

  /** Returns a copy with another thread count. */
  public SessionOptions withThreads(int n) {
    return new SessionOptions(n, optimization, optimizedModelPath);
  }

  /** Returns a copy with another optimization level. */
  public SessionOptions withOptimization(Optimization level) {
    return new SessionOptions(threads, level, optimizedModelPath);
  }

  /** Returns a copy that saves the optimized graph to {@code path}. */
  public SessionOptions savingOptimizedModel(Path path) {
    return new SessionOptions(threads, optimization, path);
  }
}
