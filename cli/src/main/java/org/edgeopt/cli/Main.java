package org.edgeopt.cli;

/** The entry point of the {@code edgeopt} command. */
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its documented exit code. */
  public static void main(String[] args) {
    System.exit(EdgeoptCommand.newCommandLine().execute(args));
  }
}
