package org.edgeopt.core.cost;

/**
 * The peak of live activation memory while running the nodes one by one in order at batch 1, each
 * value freed after its last reader.
 *
 * @param bytes the peak in bytes (graph inputs and outputs included, weights excluded; {@link
 *     Long#MAX_VALUE} when the sum overflows)
 * @param node the node whose outputs were being produced at the peak (empty for a graph without nodes)
 * @param liveValues how many values are live at the peak
 */
public record ActivationPeak(long bytes, String node, int liveValues) {}
