package org.edgeopt.core.cost;

import java.util.List;

/**
 * What one node costs at batch 1, counted by {@link LayerCosts}.
 *
 * @param name the node's name
 * @param opType the node's operator
 * @param macs multiply-accumulates ({@link LayerCosts#macs})
 * @param parameters elements of the initializers the node reads ({@link LayerCosts#parameters})
 * @param bytesMoved bytes the node reads and writes ({@link LayerCosts#bytesMoved})
 * @param outputDims the first output's dimensions, unknown ones as 1; empty when its shape is unknown
 */
public record NodeCost(
    String name,
    String opType,
    long macs,
    long parameters,
    long bytesMoved,
    List<Long> outputDims) {
  /** Copies the dimensions so the record stays immutable. */
  public NodeCost {
    outputDims = List.copyOf(outputDims);
  }
}
