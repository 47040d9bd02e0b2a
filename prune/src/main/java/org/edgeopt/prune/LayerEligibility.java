package org.edgeopt.prune;

/**
 * Whether one weighted layer can take the 2:4 pattern, and why not.
 *
 * @param layer the node name
 * @param opType the operator
 * @param weight the weight initializer
 * @param reductionChannels the length of the dimension grouped by four (input channels per group,
 *     or the Gemm/MatMul inner dimension), 0 when unknown
 * @param eligible whether the pattern can be applied
 * @param reason why not, or the rule that applies
 */
public record LayerEligibility(
    String layer,
    String opType,
    String weight,
    long reductionChannels,
    boolean eligible,
    String reason) {}
