package org.edgeopt.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.runtime.PluginLoader;

/** The entry point of the {@code edgeopt} command. */
public final class Main {
  /**
   * Stack size of the thread that runs the command. ONNX Runtime's session creation recurses
   * deeply in native code and overflows the default 1 MB main-thread stack (a SIGSEGV with no
   * Java trace) when the class path is long; 64 MB is ample.
   */
  private static final long STACK_BYTES = 64L << 20;

  private Main() {}

  /** Runs the command line and exits with its documented exit code. */
  public static void main(String[] args) throws InterruptedException {
    addOwnPluginFolder();
    int[] code = {1};
    Thread t =
        new Thread(
            null,
            () -> code[0] = EdgeoptCommand.newCommandLine().execute(args),
            "edgeopt",
            STACK_BYTES);
    t.start();
    t.join();
    System.exit(code[0]);
  }

  /**
   * Names the {@code plugins} folder beside {@code edgeopt-cli.jar} as a plug-in root: the
   * TorchScript runtime (PyTorch, 107 MB) lives there, off the class path, and is opened only
   * when a {@code .pt} model is asked for. Run from classes (tests), there is no such folder.
   */
  private static void addOwnPluginFolder() {
    try {
      Path self = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(self) && self.getParent() != null) {
        PluginLoader.addRootToSystemProperty(self.getParent().resolve("plugins"));
      }
    } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
      // An unusual code source (not a file): run without the distribution's plug-ins.
    }
  }
}
