package org.edgeopt.core.graph;

/**
 * A graph read from a file breaks a rule that a pass only finds when it uses the broken part
 * (an attribute of the wrong type, say): invalid input, not a bug, so the command line maps it to
 * exit 3. Unchecked, because the accessors that find it are used everywhere.
 */
public class InvalidGraphException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says what was expected and found. */
  public InvalidGraphException(String message) {
    super(message);
  }
}
