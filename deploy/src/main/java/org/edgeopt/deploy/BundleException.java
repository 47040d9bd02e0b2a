package org.edgeopt.deploy;

/**
 * A bundle failed verification; carries the bundle entry at fault ({@code null} for the archive
 * as a whole) so that the message can name it.
 */
final class BundleException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String entry;

  BundleException(String entry, String message) {
    super(message);
    this.entry = entry;
  }

  /** Returns the entry at fault, or {@code null} when the archive as a whole is. */
  String entry() {
    return entry;
  }
}
