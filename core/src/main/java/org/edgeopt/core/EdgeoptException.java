package org.edgeopt.core;

/**
 * The one checked exception of edgeopt: something at an I/O boundary was not as expected.
 *
 * <p>Messages say what was expected, what was found and where (file, node, tensor), on one
 * line, so the command line can print them as they are.
 */
public class EdgeoptException extends Exception {
  private static final long serialVersionUID = 1L;
  private final ExitCode exitCode;

  /** Creates an exception that maps to the given exit code. */
  public EdgeoptException(ExitCode exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** Creates an exception that maps to the given exit code, keeping its cause. */
  public EdgeoptException(ExitCode exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Returns the exit code a front end should end with. */
  public ExitCode exitCode() {
    return exitCode;
  }

  /** Returns an invalid-input error (exit code 3). */
  public static EdgeoptException invalid(String message) {
    return new EdgeoptException(ExitCode.INVALID_INPUT, message);
  }

  /** Returns an invalid-input error (exit code 3) with its cause. */
  public static EdgeoptException invalid(String message, Throwable cause) {
    return new EdgeoptException(ExitCode.INVALID_INPUT, message, cause);
  }

  /** Returns a target-incompatibility error (exit code 5). */
  public static EdgeoptException incompatible(String message) {
    return new EdgeoptException(ExitCode.INCOMPATIBLE, message);
  }
}
