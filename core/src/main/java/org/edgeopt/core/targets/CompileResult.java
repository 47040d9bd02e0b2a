package org.edgeopt.core.targets;

import java.nio.file.Path;
import java.util.List;

/**
 * What a compile produced.
 *
 * @param artifacts the files written, main artifact first
 * @param compatible whether the whole model maps to the target's accelerator
 * @param messages findings for the user, one line each
 */
public record CompileResult(List<Path> artifacts, boolean compatible, List<String> messages) {
  public CompileResult {
    artifacts = List.copyOf(artifacts);
    messages = List.copyOf(messages);
  }
}
