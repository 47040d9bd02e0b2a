package org.edgeopt.prune;

import java.util.Iterator;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;

/** The first {@code n} samples of a data set, as a data set. */
record FirstSamples(Dataset data, int n) implements Dataset {
  @Override
  public String describe() {
    return "first " + size() + " of " + data.describe();
  }

  @Override
  public int size() {
    return Math.min(n, data.size());
  }

  @Override
  public long[] sampleShape() {
    return data.sampleShape();
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) throws EdgeoptException {
    return data.batches(batchSize, Math.min(limit, n));
  }
}
