package org.edgeopt.cli;

/** The entry point of the {@code edgeopt} command. */
public final class Main {
  /**
   * Stack size of the thread that runs the command. ONNX Runtime's session creation recurses
   * deeply in native code and overflows the default 1 MB main-thread stack (a SIGSEGV with no
   * Java trace) when the class path is long; 64 MB is ample.
   */
  private static final long STACK_BYTES = 64L << 20;

  private Main() {}

  /** Runs the command line and exits with its documented exit code. */
  public static void main(String[] args) throws InterruptedException {
    int[] code = {1};
    Thread t =
        new Thread(
            null,
            () -> code[0] = EdgeoptCommand.newCommandLine().execute(args),
            "edgeopt",
            STACK_BYTES);
    t.start();
    t.join();
    System.exit(code[0]);
  }
}
