package org.edgeopt.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.deploy.BundleVerifier;
import org.edgeopt.deploy.SigningKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code edgeopt verify}: checks a bundle's signature and every file's hash before a device applies it. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Check a deployment bundle: the Ed25519 signature of its manifest under the given public key, every"
          + " file's SHA-256 against the manifest (none missing, none extra), and the archive's canonical encoding."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  the bundle is intact and signed by the key",
      "  3  anything does not match: the message names the file"
    })
public final class VerifyCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "BUNDLE",
      description = "The bundle (.zip) made by `edgeopt package`.")
  Path bundle;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "PUBLIC_PEM",
      description = "The signer's Ed25519 public key.")
  Path key;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    BundleVerifier.Verified v = BundleVerifier.verify(bundle, SigningKeys.readPublic(key));
    var out = spec.commandLine().getOut();
    out.println(
        "OK  "
            + bundle
            + ": "
            + v.manifest().model().name()
            + " "
            + v.manifest().model().version()
            + " for "
            + v.manifest().target().profile()
            + ", "
            + v.entries()
            + " files intact, signed by key "
            + v.keyId().substring(0, 16));
    out.flush();
    return ExitCode.OK.code();
  }
}
