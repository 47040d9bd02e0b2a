package org.edgeopt.planners.split;

/**
 * How the written edge and server parts, chained, compare with the whole model.
 *
 * @param samples the samples run
 * @param maxAbsDiff the largest absolute output difference
 * @param agreement the share of samples with the whole model's top-1
 * @param criterion the pass rule, in words
 * @param passed whether the rule held
 */
public record PartsCheck(
    int samples, double maxAbsDiff, double agreement, String criterion, boolean passed) {}
