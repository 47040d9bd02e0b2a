package org.edgeopt.planners.cascade;

import java.util.List;

/**
 * The cascade at one threshold: the small model answers when its confidence is at least
 * {@code threshold}, the large model otherwise.
 *
 * @param threshold the confidence threshold (positive infinity: everything escalates)
 * @param accuracy the cascade's top-1 with its interval
 * @param escalation the escalated samples with their interval
 * @param expectedSeconds the expected mean latency: small always, plus large when escalated
 * @param recall each class's recall with its interval, by class index
 */
public record CascadePoint(
    double threshold,
    Interval accuracy,
    Interval escalation,
    double expectedSeconds,
    List<Interval> recall) {

  public CascadePoint {
    recall = List.copyOf(recall);
  }
}
