package org.edgeopt.optimize;

import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/** What the search minimizes among the models that meet the accuracy bar. */
public enum Objective {
  /** Batch-1 latency: measured against FP32 where the host runs the target's kernels, else modelled. */
  LATENCY,
  /** The model file's size in bytes. */
  SIZE,
  /** Multiply-accumulates at batch 1 (channel padding adds some). */
  MACS;

  /** Returns the lower-case name used on the command line and in {@code search.json}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Returns the objective named {@code id} (case-insensitive). */
  public static Objective of(String id) throws EdgeoptException {
    for (Objective o : values()) {
      if (o.id().equalsIgnoreCase(id == null ? "" : id.strip())) {
        return o;
      }
    }
    throw EdgeoptException.invalid("objective: expected latency, size or macs, found '" + id + "'");
  }
}
