package org.edgeopt.spark;

import java.io.Serializable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;

/** The work an executor does on the samples of one partition; it returns an encoded partial result. */
@FunctionalInterface
public interface PartitionJob extends Serializable {
  /**
   * Returns the partial result of one non-empty partition.
   *
   * @param samples the partition's samples, preprocessed, read lazily
   */
  byte[] run(Dataset samples) throws EdgeoptException;
}
