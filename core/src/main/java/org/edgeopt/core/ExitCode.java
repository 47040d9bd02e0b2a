package org.edgeopt.core;

/** The documented process exit codes of every edgeopt front end. */
public enum ExitCode {
  /** The command did what was asked. */
  OK(0),
  /** A bug or an unexpected failure inside edgeopt. */
  INTERNAL(1),
  /** The command line was wrong. */
  USAGE(2),
  /** A model, a data set or a config could not be used as given. */
  INVALID_INPUT(3),
  /** The accuracy gate ran and failed. */
  GATE_FAILED(4),
  /** The model is not compatible with the target and {@code --strict} was given. */
  INCOMPATIBLE(5);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  /** Returns the numeric process exit code. */
  public int code() {
    return code;
  }
}
