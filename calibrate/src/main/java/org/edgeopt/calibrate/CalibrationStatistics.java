package org.edgeopt.calibrate;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import org.edgeopt.core.quant.TensorRange;

/**
 * The statistics of every calibrated tensor after a pass over some data: the mergeable result
 * of {@link Calibration#collect}, never written to disk as is.
 *
 * @param tensors the statistics by tensor name, in graph order
 * @param samples how many data set samples were seen
 */
public record CalibrationStatistics(Map<String, TensorStatistics> tensors, long samples) {

  public CalibrationStatistics {
    Map<String, TensorStatistics> copy = new LinkedHashMap<>();
    tensors.forEach((k, v) -> copy.put(k, v.copy()));
    tensors = Collections.unmodifiableMap(copy);
  }

  /** Returns the statistics of one tensor, or null when it was not captured. */
  public TensorStatistics tensor(String name) {
    TensorStatistics t = tensors.get(name);
    return t == null ? null : t.copy();
  }

  @Override
  public Map<String, TensorStatistics> tensors() {
    Map<String, TensorStatistics> copy = new LinkedHashMap<>();
    tensors.forEach((k, v) -> copy.put(k, v.copy()));
    return copy;
  }

  /**
   * Returns the statistics of both runs together: exactly those one run over both data sets
   * would have collected (see {@link TensorStatistics} for why).
   *
   * @throws IllegalArgumentException when the two runs captured different tensors
   */
  public CalibrationStatistics merge(CalibrationStatistics other) {
    if (!tensors.keySet().equals(other.tensors.keySet())) {
      throw new IllegalArgumentException(
          "cannot merge statistics of different tensor sets: "
              + tensors.keySet()
              + " and "
              + other.tensors.keySet());
    }
    Map<String, TensorStatistics> m = new LinkedHashMap<>();
    tensors.forEach((k, v) -> m.put(k, v.merge(other.tensors.get(k))));
    return new CalibrationStatistics(m, samples + other.samples);
  }

  /**
   * Returns the range of every tensor as the calibrator chooses it, in graph order. Tensors are
   * done in parallel (the entropy search costs tens of milliseconds each); each range depends on
   * its own statistics only, so the result does not depend on scheduling.
   */
  public Map<String, TensorRange> ranges(Calibrator calibrator) {
    Objects.requireNonNull(calibrator, "calibrator");
    List<String> names = List.copyOf(tensors.keySet());
    TensorRange[] r = new TensorRange[names.size()];
    IntStream.range(0, r.length)
        .parallel()
        .forEach(i -> r[i] = calibrator.range(tensors.get(names.get(i))));
    Map<String, TensorRange> m = new LinkedHashMap<>();
    for (int i = 0; i < r.length; i++) {
      m.put(names.get(i), r[i]);
    }
    return m;
  }
}
