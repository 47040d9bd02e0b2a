package org.edgeopt.planners.split;

/**
 * What running one cut's two parts on real samples showed.
 *
 * @param samples the samples run
 * @param fp32MaxAbsDiff the largest |edge-then-server output - whole-model output| with FP32 on the wire
 * @param int8Agreement the share of samples whose top-1 with int8 on the wire equals the whole model's
 *     (NaN without ranges)
 * @param int8Correct the samples whose top-1 with int8 on the wire equals the label (-1 without ranges)
 */
public record CutCheck(int samples, double fp32MaxAbsDiff, double int8Agreement, int int8Correct) {}
