package org.edgeopt.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;

/**
 * Refuses a command line whose outputs would replace one of its own inputs, such as
 * {@code quantize m.onnx -o m.onnx}: the input would be lost the moment the output is written, and
 * a rerun would read the wrong file.
 *
 * <p>Every command calls {@link #refuse} with what it reads and what it will write, before it
 * reads anything, so the refusal costs nothing and leaves nothing behind.
 */
public final class OverwriteGuard {
  private OverwriteGuard() {}

  /**
   * Fails when a planned output is the same file as an input.
   *
   * @param inputs what the command reads, each named as the command line names it (e.g.
   *     {@code "the input model"}); null paths are skipped
   * @param outputs what the command writes, each named by its option (e.g. {@code "-o"}); null
   *     paths are skipped
   * @throws EdgeoptException with exit code 2 (a usage error), naming the option and the input
   */
  public static void refuse(Map<String, Path> inputs, Map<String, Path> outputs)
      throws EdgeoptException {
    for (Map.Entry<String, Path> out : outputs.entrySet()) {
      if (out.getValue() == null) {
        continue;
      }
      for (Map.Entry<String, Path> in : inputs.entrySet()) {
        if (in.getValue() != null && same(in.getValue(), out.getValue())) {
          throw new EdgeoptException(
              ExitCode.USAGE,
              out.getKey()
                  + " "
                  + out.getValue()
                  + " would overwrite "
                  + in.getKey()
                  + " "
                  + in.getValue()
                  + ": expected an output path that is not one of the command's inputs"
                  + " (nothing was written)");
        }
      }
    }
  }

  /** Returns whether two paths name one file: the same path, or (both existing) the same file through links. */
  static boolean same(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      // Unreadable metadata: the paths differ as written, which is all that can be said.
      return false;
    }
  }
}
