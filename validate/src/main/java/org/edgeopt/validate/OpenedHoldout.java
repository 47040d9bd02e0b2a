package org.edgeopt.validate;

import java.util.Objects;
import org.edgeopt.core.data.Dataset;

/**
 * A holdout opened by the caller rather than read from {@link ValidationConfig#holdout()}'s path
 * (a table on a cluster): its first samples, for the parts of a validation that run in this JVM
 * (the task decision, the per-layer diagnosis, the latency sample), with its size, where it is and
 * what identifies it.
 *
 * @param head the holdout's first samples, in its order; iterable more than once
 * @param samples how many samples the whole holdout holds
 * @param where the holdout as the user named it (a URI), for the report and errors
 * @param sha256 the holdout's fingerprint, the report's {@code holdoutSha256}
 * @param sha256Of what the fingerprint is computed over, recorded beside it in the provenance
 */
public record OpenedHoldout(
    Dataset head, int samples, String where, String sha256, String sha256Of) {
  public OpenedHoldout {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(where, "where");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(sha256Of, "sha256Of");
  }
}
