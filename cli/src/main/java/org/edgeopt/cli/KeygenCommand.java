package org.edgeopt.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.deploy.SigningKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code edgeopt keygen}: makes an Ed25519 key pair for signing deployment bundles. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
      "Make an Ed25519 key pair for signing deployment bundles: "
          + SigningKeys.PRIVATE_FILE
          + " (PKCS#8 PEM, owner-only; keep it secret) and "
          + SigningKeys.PUBLIC_FILE
          + " (X.509 PEM; ship it to devices)."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  the keys were written",
      "  3  the folder cannot be written, or a key is already there (see --force)"
    })
public final class KeygenCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = "The folder to write the key pair into.")
  Path output;

  @Option(names = "--force", description = "Replace a key pair already in the folder.")
  boolean force;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    Path priv = output.resolve(SigningKeys.PRIVATE_FILE);
    if (Files.exists(priv) && !force) {
      throw EdgeoptException.invalid(
          priv
              + ": a signing key is already there: expected an empty folder, or --force to"
              + " replace it (bundles signed with the old key then no longer verify with the new public key)");
    }
    var pair = SigningKeys.generate();
    SigningKeys.write(pair, output);
    spec.commandLine()
        .getOut()
        .println(
            "wrote "
                + priv
                + " and "
                + output.resolve(SigningKeys.PUBLIC_FILE)
                + " (key id "
                + SigningKeys.keyId(pair.getPublic()).substring(0, 16)
                + ")");
    spec.commandLine().getOut().flush();
    return ExitCode.OK.code();
  }
}
