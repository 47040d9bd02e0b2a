package org.edgeopt.planners.split;

import java.util.List;

/**
 * The cuts listed for a model and how they were found: every predecessor-closed node set, or,
 * past {@link CutEnumerator#MAX_IDEALS} sets, only the prefixes of the topological order.
 *
 * @param cuts the cuts, cloud-only first and edge-only last, no two sending the same tensors
 * @param complete whether every valid cut is listed (false: the topological-order fallback)
 * @param nodeSets how many predecessor-closed node sets were counted (past the cap: cap + 1)
 */
public record CutEnumeration(List<Cut> cuts, boolean complete, long nodeSets) {

  public CutEnumeration {
    cuts = List.copyOf(cuts);
  }

  /** Returns one sentence on how the cuts were found, for the console, split.json and the page. */
  public String describe() {
    if (complete) {
      return "every valid cut: "
          + cuts.size()
          + " distinct tensor sets from "
          + nodeSets
          + " predecessor-closed node sets";
    }
    return "more than "
        + CutEnumerator.MAX_IDEALS
        + " predecessor-closed node sets: only the "
        + cuts.size()
        + " cuts of one topological order are listed, cuts between parallel branches are missing";
  }
}
