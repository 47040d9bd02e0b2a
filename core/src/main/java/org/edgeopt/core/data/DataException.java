package org.edgeopt.core.data;

/**
 * A data file that turned out bad while it was being streamed; carries the one-line message
 * that the front ends report with exit code 3.
 */
public class DataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the file. */
  public DataException(String message) {
    super(message);
  }

  /** Creates the exception with a message naming the file and its cause. */
  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
