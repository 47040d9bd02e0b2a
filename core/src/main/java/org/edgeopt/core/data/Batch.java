package org.edgeopt.core.data;

import org.edgeopt.core.graph.Tensor;

/**
 * A batch of model inputs with their labels.
 *
 * @param input the input tensor, batch dimension first
 * @param labels the class label of each sample, -1 where unknown
 */
public record Batch(Tensor input, int[] labels) {
  /** Returns the number of samples. */
  public int size() {
    return labels.length;
  }
}
