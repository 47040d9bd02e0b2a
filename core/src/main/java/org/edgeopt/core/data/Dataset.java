package org.edgeopt.core.data;

import java.util.Iterator;
import org.edgeopt.core.EdgeoptException;

/**
 * Labelled samples read lazily in batches, so memory does not grow with the data set.
 *
 * <p>Iterating twice reads the data twice. Errors found while reading (a corrupt file, an
 * image of the wrong size) surface as {@link DataException}s naming the file.
 */
public interface Dataset {

  /** Returns a one-line description, e.g. {@code IDX holdout/ (2000 samples)}. */
  String describe();

  /** Returns the number of samples. */
  int size();

  /** Returns the shape of one preprocessed sample, without the batch dimension. */
  long[] sampleShape();

  /** Returns the batches, each of at most {@code batchSize} samples, the first {@code limit} samples only. */
  Iterator<Batch> batches(int batchSize, int limit) throws EdgeoptException;

  /** Returns all batches. */
  default Iterator<Batch> batches(int batchSize) throws EdgeoptException {
    return batches(batchSize, Integer.MAX_VALUE);
  }
}
