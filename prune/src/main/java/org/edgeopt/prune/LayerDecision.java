package org.edgeopt.prune;

/**
 * What the search decided for one layer (2:4) or one channel group (channel pruning).
 *
 * @param name the layer name, or the channel group's description
 * @param macs the dense MACs of the layer, or of the group's source layers
 * @param eligible whether it could be pruned at all
 * @param reason the rule that applies, or why it could not be pruned
 * @param sensitivityPoints the top-1 drop, in points, when it alone was pruned (its final level
 *     for channel groups, its first level when not pruned); null when not measured
 * @param pruned whether the result prunes it
 * @param detail what was done, or why it was skipped
 */
public record LayerDecision(
    String name,
    long macs,
    boolean eligible,
    String reason,
    Double sensitivityPoints,
    boolean pruned,
    String detail) {}
