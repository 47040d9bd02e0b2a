package org.edgeopt.prune;

import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/** What kind of pruning to do. */
public enum PruneMode {
  /** Whatever the target exploits: 2:4 where it has sparse kernels, channel pruning elsewhere. */
  AUTO("auto"),
  /** 2:4 semi-structured sparsity: two zeros in every group of four input-channel weights. */
  TWO_FOUR("2:4"),
  /** Channel (filter) pruning: removes whole output channels and shrinks dense shapes. */
  CHANNEL("channel");

  private final String id;

  PruneMode(String id) {
    this.id = id;
  }

  /** Returns the name used on the command line: {@code auto}, {@code 2:4} or {@code channel}. */
  public String id() {
    return id;
  }

  /** Returns the mode with the given command-line name. */
  public static PruneMode parse(String s) throws EdgeoptException {
    String v = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
    for (PruneMode m : values()) {
      if (m.id.equals(v)) {
        return m;
      }
    }
    throw EdgeoptException.invalid("prune mode '" + s + "': expected auto, 2:4 or channel");
  }
}
