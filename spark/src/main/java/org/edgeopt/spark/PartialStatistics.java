package org.edgeopt.spark;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.calibrate.StatisticsCodec;

/**
 * What one partition sends back to the driver: its statistics ({@link StatisticsCodec}) and its
 * partial sample-set hash ({@link SampleSetHash}; zeros for a file source, whose files are hashed).
 * Encoded as the 32 hash bytes followed by the statistics.
 *
 * @param statistics the partition's statistics
 * @param sampleSetPartial the partition's partial sample-set hash
 */
record PartialStatistics(CalibrationStatistics statistics, byte[] sampleSetPartial) {

  PartialStatistics {
    if (sampleSetPartial.length != SampleSetHash.BYTES) {
      throw new IllegalArgumentException(
          "expected a " + SampleSetHash.BYTES + "-byte hash, found " + sampleSetPartial.length);
    }
    sampleSetPartial = sampleSetPartial.clone();
  }

  byte[] encode() {
    byte[] stats = StatisticsCodec.encode(statistics);
    return ByteBuffer.allocate(SampleSetHash.BYTES + stats.length)
        .put(sampleSetPartial)
        .put(stats)
        .array();
  }

  static PartialStatistics decode(byte[] bytes) {
    return new PartialStatistics(
        StatisticsCodec.decode(Arrays.copyOfRange(bytes, SampleSetHash.BYTES, bytes.length)),
        Arrays.copyOf(bytes, SampleSetHash.BYTES));
  }

  @Override
  public byte[] sampleSetPartial() {
    return sampleSetPartial.clone();
  }
}
