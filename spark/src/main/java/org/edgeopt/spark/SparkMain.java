package org.edgeopt.spark;

import java.io.PrintWriter;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code spark-submit} entry point of the {@code edgeopt-spark} jar, and what
 * {@code edgeopt calibrate|validate|monitor --engine spark} hands over to:
 * {@code spark-submit --class org.edgeopt.spark.SparkMain edgeopt-spark.jar calibrate MODEL --data ...}.
 */
@Command(
    name = "edgeopt-spark",
    mixinStandardHelpOptions = true,
    subcommands = {
      SparkCalibrateCommand.class,
      SparkValidateCommand.class,
      SparkMonitorCommand.class
    },
    description =
        "edgeopt stages on Apache Spark, with the same flags and output files as the edgeopt command.")
public final class SparkMain {
  private SparkMain() {}

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line, writing to {@code out} and {@code err}, and returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new SparkMain());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose =
              commandLine.getCommand() instanceof SparkCalibrateCommand c && c.engine.verbose
                  || commandLine.getCommand() instanceof SparkValidateCommand v && v.engine.verbose
                  || commandLine.getCommand() instanceof SparkMonitorCommand m && m.engine.verbose;
          if (e instanceof EdgeoptException ee) {
            err.println("error: " + ee.getMessage());
            if (verbose) {
              ee.printStackTrace(err);
            }
            return ee.exitCode().code();
          }
          err.println("internal error: " + e);
          e.printStackTrace(err);
          return ExitCode.INTERNAL.code();
        });
    return cl.execute(args);
  }
}
