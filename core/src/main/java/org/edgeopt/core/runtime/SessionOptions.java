package org.edgeopt.core.runtime;

import java.nio.file.Path;

/**
 * How a runtime session is set up.
 *
 * @param threads intra-op threads, 0 for the runtime's default
 * @param optimization the graph optimization level
 * @param optimizedModelPath where to save the runtime's optimized graph, or null
 * @param int8Arithmetic whether INT8 layers compute exactly or with whatever kernels the host has
 */
public record SessionOptions(
    int threads,
    Optimization optimization,
    Path optimizedModelPath,
    Int8Arithmetic int8Arithmetic) {

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

  /**
   * How uint8 x int8 products are computed (see {@link org.edgeopt.core.cpu.Int8Kernel}).
   */
  public enum Int8Arithmetic {
    /**
     * Exact int32 accumulation, as VNNI, ARM64, the Edge TPU and TensorRT compute: on an x86 host
     * whose kernels saturate product pairs, ONNX Runtime is told to use its slower exact U8U8
     * kernels ({@code session.x64quantprecision}); elsewhere nothing changes.
     */
    EXACT,
    /** The host's fastest kernels as they are, saturation included: for timing what this host does. */
    HOST
  }

  public SessionOptions {
    if (threads < 0) {
      throw new IllegalArgumentException(
          "threads must be 0 (runtime default) or more, found " + threads);
    }
    if (optimization == null || int8Arithmetic == null) {
      throw new IllegalArgumentException("optimization and int8 arithmetic are required");
    }
  }

  /** Returns the default: runtime-chosen threads, all optimizations, nothing saved, exact INT8. */
  public static SessionOptions defaults() {
    return new SessionOptions(0, Optimization.ALL, null, Int8Arithmetic.EXACT);
  }

  /** Returns a copy with another thread count. */
  public SessionOptions withThreads(int n) {
    return new SessionOptions(n, optimization, optimizedModelPath, int8Arithmetic);
  }

  /** Returns a copy with another optimization level. */
  public SessionOptions withOptimization(Optimization level) {
    return new SessionOptions(threads, level, optimizedModelPath, int8Arithmetic);
  }

  /**
   * Returns a copy that saves the optimized graph to {@code path}. With {@link Int8Arithmetic#EXACT}
   * on a pair-saturating host ONNX Runtime rewrites int8 weights to uint8 for its U8U8 kernels, and
   * the saved graph carries them: save a model meant for other machines with {@link Int8Arithmetic#HOST}.
   */
  public SessionOptions savingOptimizedModel(Path path) {
    return new SessionOptions(threads, optimization, path, int8Arithmetic);
  }

  /** Returns a copy with another INT8 arithmetic. */
  public SessionOptions withInt8Arithmetic(Int8Arithmetic arithmetic) {
    return new SessionOptions(threads, optimization, optimizedModelPath, arithmetic);
  }
}
