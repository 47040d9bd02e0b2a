package org.edgeopt.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the {@code edgeopt} command line in-process, capturing its output, for command tests. */
final class CliRun {
  private CliRun() {}

  /** The outcome of one command line run. */
  record Run(int exitCode, String out, String err) {}

  /** Runs {@code edgeopt args...} and returns its exit code, standard output and error output. */
  static Run edgeopt(String... args) {
    CommandLine cl = EdgeoptCommand.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
