/**
 * Target-aware structured sparsity within an accuracy budget.
 *
 * <p>{@link org.edgeopt.prune.SparsityPlanner} asks the target profile which pruning pays:
 * 2:4 semi-structured sparsity ({@link org.edgeopt.prune.SemiStructuredPruner}) only where the
 * target has sparse kernels, channel pruning ({@link org.edgeopt.prune.ChannelGroups},
 * {@link org.edgeopt.prune.ChannelPruner}) everywhere else. {@link org.edgeopt.prune.Pruner}
 * chooses layers by measured sensitivity on the holdout, recovers accuracy from calibration data
 * where that measurably helps, and reports MACs, parameters, accuracy and ONNX Runtime latency
 * ({@link org.edgeopt.prune.PruneReport}).
 */
package org.edgeopt.prune;
