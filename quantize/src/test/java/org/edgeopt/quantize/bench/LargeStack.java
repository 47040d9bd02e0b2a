package org.edgeopt.quantize.bench;

/**
 * Runs a benchmark body on a thread with a 64 MB stack: ONNX Runtime's session creation can
 * overflow the launcher's 1 MB main-thread stack when the class path is long (a SIGSEGV, no Java
 * stack trace).
 */
final class LargeStack {
  private LargeStack() {}

  /** A benchmark body. */
  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body} on a large-stack thread and rethrows what it threw. */
  static void run(Body body) throws Exception {
    Exception[] failure = new Exception[1];
    Thread t =
        new Thread(
            null,
            () -> {
              try {
                body.run();
              } catch (Exception e) {
                failure[0] = e;
              }
            },
            "benchmark",
            64L << 20);
    t.start();
    t.join();
    if (failure[0] != null) {
      throw failure[0];
    }
  }
}
