package org.edgeopt.spark;

import java.util.Iterator;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;

/**
 * Samples {@code [start, end)} of a data set, for one partition of a file source. The start is a
 * multiple of the batch size, so the batches are exactly those one machine reads there: ONNX
 * Runtime then computes every activation from the very same batch.
 */
final class SliceDataset implements Dataset {
  private final Dataset whole;
  private final int start;
  private final int end;
  private final int alignedBatch;

  SliceDataset(Dataset whole, int start, int end, int alignedBatch) {
    if (start % alignedBatch != 0 || start >= end) {
      throw new IllegalArgumentException(
          "slice "
              + start
              + ".."
              + end
              + " of "
              + whole.describe()
              + ": expected a non-empty slice starting on a multiple of the batch size "
              + alignedBatch);
    }
    this.whole = whole;
    this.start = start;
    this.end = end;
    this.alignedBatch = alignedBatch;
  }

  @Override
  public String describe() {
    return whole.describe() + ", samples " + (start + 1) + ".." + end;
  }

  @Override
  public int size() {
    return end - start;
  }

  @Override
  public long[] sampleShape() {
    return whole.sampleShape();
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) throws EdgeoptException {
    if (batchSize != alignedBatch) {
      throw new IllegalStateException(
          describe()
              + ": cut for batches of "
              + alignedBatch
              + ", read in batches of "
              + batchSize);
    }
    // The formats read sequentially: the batches before the slice are read and dropped (their
    // preprocessing costs far less than inference).
    Iterator<Batch> all = whole.batches(batchSize, start + Math.min(limit, end - start));
    for (int skipped = 0; skipped < start; skipped += batchSize) {
      all.next();
    }
    return all;
  }
}
