package org.edgeopt.spark;

import java.io.Serializable;

/**
 * What a {@link SampleSource} needs to know to cut the data into partitions.
 *
 * @param preprocess the preprocessing spec ({@code Preprocessing.toSpec()}), applied on the executors
 * @param limit use at most the first this many samples ({@link Integer#MAX_VALUE}: all)
 * @param batchSize samples per inference: partitions of a file source start on a multiple of it,
 *     so every executor runs exactly the batches one machine would run
 * @param partitions how many partitions to cut the data into; 0 keeps the source's own
 * @param sampleShape the model input's shape without the batch dimension (what a tensor column holds)
 */
public record SourceSettings(
    String preprocess, int limit, int batchSize, int partitions, long[] sampleShape)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public SourceSettings {
    if (limit < 1 || batchSize < 1 || partitions < 0) {
      throw new IllegalArgumentException(
          "limit and batch size must be >= 1 and partitions >= 0, found "
              + limit
              + ", "
              + batchSize
              + ", "
              + partitions);
    }
    sampleShape = sampleShape.clone();
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }
}
