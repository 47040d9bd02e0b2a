package org.edgeopt.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.edgeopt.core.target.TargetProfile;
import org.edgeopt.core.target.TargetProfiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code edgeopt targets}: lists the target profiles. */
@Command(name = "targets", description = "List the target profiles and what each supports.", mixinStandardHelpOptions = true)
public final class TargetsCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%-22s %-12s %-16s %-8s %-6s %s%n", "PROFILE", "COMPILER", "PRECISIONS", "SPARSITY", "LAYOUT", "DESCRIPTION");
    for (TargetProfile p : TargetProfiles.builtIn().values()) {
      out.printf("%-22s %-12s %-16s %-8s %-6s %s%n", p.name(), p.target(), String.join(",", p.precisions()),
          p.sparsity(), p.layout(), p.description());
    }
    out.flush();
    return 0;
  }
}
