package org.edgeopt.cli;

import java.io.PrintWriter;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.Version;
import org.edgeopt.core.runtime.OrtRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The top-level {@code edgeopt} command: it only dispatches to the stage subcommands.
 *
 * <p>Nothing here touches native libraries, so {@code edgeopt --help} and {@code --version}
 * start fast and work anywhere.
 */
@Command(
    name = "edgeopt",
    mixinStandardHelpOptions = true,
    versionProvider = EdgeoptCommand.VersionProvider.class,
    description =
        "Optimize FP32 models for edge devices: ingest, calibrate, quantize, prune, compile, validate;"
            + " then package, verify, monitor and canary after deployment.",
    subcommands = {
      DemoCommand.class,
      RunCommand.class,
      IngestCommand.class,
      CalibrateCommand.class,
      QuantizeCommand.class,
      PruneCommand.class,
      CompileCommand.class,
      ValidateCommand.class,
      OptimizeCommand.class,
      SplitCommand.class,
      CascadeCommand.class,
      KeygenCommand.class,
      PackageCommand.class,
      VerifyCommand.class,
      MonitorCommand.class,
      CanaryCommand.class,
      TargetsCommand.class,
      CommandLine.HelpCommand.class
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  success",
      "  1  internal error (a bug: please report it with -v output)",
      "  2  usage error",
      "  3  invalid input (model, data or config)",
      "  4  accuracy gate failed, drift alert, or canary rolled back",
      "  5  model not compatible with the target (under --strict)"
    })
public final class EdgeoptCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /** Returns a configured command line with edgeopt's exit-code and error handling. */
  public static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new EdgeoptCommand());
    cl.setExecutionExceptionHandler(EdgeoptCommand::handleException);
    cl.setExitCodeExceptionMapper(
        t -> t instanceof EdgeoptException e ? e.exitCode().code() : ExitCode.INTERNAL.code());
    cl.setParameterExceptionHandler(EdgeoptCommand::handleParameterException);
    CommandLine.IExecutionStrategy run = new CommandLine.RunLast();
    cl.setExecutionStrategy(
        parsed -> {
          // ONNX Runtime's own log (colour-coded, before edgeopt's one-line error) only under -v.
          OrtRuntime.showNativeLog(verbose(parsed));
          return run.execute(parsed);
        });
    return cl;
  }

  /** Returns whether any command on the parsed line asked for {@code -v}. */
  private static boolean verbose(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.commandSpec().userObject() instanceof CommonOptions.VerbosityAware v
          && v.common() != null
          && v.common().verbose) {
        return true;
      }
    }
    return false;
  }

  private static int handleParameterException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    // One line, as for every other failure, so scripts can show the first stderr line as the
    // reason.
    err.println(
        "edgeopt: "
            + String.valueOf(ex.getMessage()).strip().replace("\r", "").replace("\n", "; ")
            + " (try '"
            + cl.getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return ExitCode.USAGE.code();
  }

  private static int handleException(
      Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    boolean verbose = CommonOptions.verbose(cl);
    Throwable root = ex;
    int code;
    String message;
    if (ex instanceof EdgeoptException e) {
      code = e.exitCode().code();
      message = e.getMessage();
    } else if (ex instanceof org.edgeopt.core.graph.InvalidGraphException g) {
      code = ExitCode.INVALID_INPUT.code();
      message = "invalid model: " + g.getMessage();
    } else if (ex instanceof org.edgeopt.core.data.DataException d) {
      code = ExitCode.INVALID_INPUT.code();
      message = d.getMessage();
    } else {
      code = ExitCode.INTERNAL.code();
      message = "internal error: " + ex + (verbose ? "" : " (run with -v for the stack trace)");
    }
    err.println("edgeopt: " + message);
    if (verbose) {
      root.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  /** Supplies {@code --version} from the build. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "edgeopt " + Version.get(), "Java " + System.getProperty("java.version")
      };
    }
  }
}
