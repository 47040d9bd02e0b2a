package org.edgeopt.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code edgeopt targets}: lists the target profiles. */
@Command(
    name = "targets",
    description = "List the target profiles and what each supports.",
    mixinStandardHelpOptions = true)
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
    out.printf(
        "%-22s %-12s %-16s %-8s %-6s %s%n",
        "PROFILE", "COMPILER", "PRECISIONS", "SPARSITY", "LAYOUT", "DESCRIPTION");
    for (TargetProfile p : TargetProfiles.builtIn().values()) {
      out.printf(
          "%-22s %-12s %-16s %-8s %-6s %s%n",
          p.name(),
          p.target(),
          String.join(",", p.precisions()),
          p.sparsity(),
          p.layout(),
          p.description());
    }
    HostCpu host = HostCpu.current();
    out.printf(
        "%nINT8 ON EACH TARGET (this host: %s; INT8 kernels: %s)%n",
        host.describe(), host.int8Kernel().description());
    for (TargetProfile p : TargetProfiles.builtIn().values()) {
      if (!p.supportsPrecision("int8")) {
        continue;
      }
      String mismatch = p.cpuMismatch(host);
      out.printf(
          "%-22s weights [-%d, %d]%s; %s activations%n",
          p.name(),
          p.weightQuantMax(),
          p.weightQuantMax(),
          p.depthwiseWeightQuantMax() != p.weightQuantMax()
              ? " ([-"
                  + p.depthwiseWeightQuantMax()
                  + ", "
                  + p.depthwiseWeightQuantMax()
                  + "] depthwise)"
              : "",
          p.activationType());
      out.printf("%-22s assumes: %s%n", "", p.assumedIsa());
      out.printf("%-22s speed-up: %s%n", "", p.int8Speedup());
      if (!mismatch.isEmpty()) {
        out.printf(
            "%-22s on this host: %s; validate emulates the target's arithmetic%n", "", mismatch);
      }
    }
    out.flush();
    return 0;
  }
}
