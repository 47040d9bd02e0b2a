package org.edgeopt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options every subcommand shares: verbosity. Mixed into each command. */
public final class CommonOptions {
  @Option(
      names = {"-v", "--verbose"},
      description = "Print more detail, and stack traces on errors.")
  boolean verbose;

  @Option(
      names = {"-q", "--quiet"},
      description = "Print only results and errors: no progress bars.")
  boolean quiet;

  /** Returns whether the command line being executed asked for verbose output. */
  static boolean verbose(CommandLine cl) {
    for (CommandLine c = cl; c != null; c = c.getParent()) {
      Object o = c.getCommand();
      if (o instanceof VerbosityAware v && v.common() != null && v.common().verbose) {
        return true;
      }
    }
    return false;
  }

  /** A command that carries the common options. */
  interface VerbosityAware {
    /** Returns this command's common options. */
    CommonOptions common();
  }
}
