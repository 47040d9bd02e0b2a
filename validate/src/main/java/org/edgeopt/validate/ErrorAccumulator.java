package org.edgeopt.validate;

/**
 * Running sums for comparing a signal with its reference over many batches, so that SQNR,
 * cosine similarity and absolute errors cover every value seen without keeping any of them.
 */
final class ErrorAccumulator {
  private double signal;
  private double other;
  private double dot;
  private double noise;
  private double sumAbs;
  private double maxAbs;
  private long count;
  private double tolerance = Double.NaN;
  private long overTolerance;

  /** Returns an accumulator that also counts differences larger than {@code tolerance}. */
  static ErrorAccumulator withTolerance(double tolerance) {
    ErrorAccumulator a = new ErrorAccumulator();
    a.tolerance = tolerance;
    return a;
  }

  /** Adds equally long arrays of reference and compared values. */
  void add(float[] ref, float[] cmp) {
    if (ref.length != cmp.length) {
      throw new IllegalArgumentException("cannot compare " + ref.length + " reference values with " + cmp.length);
    }
    for (int i = 0; i < ref.length; i++) {
      double r = ref[i];
      double c = cmp[i];
      double e = r - c;
      double a = Math.abs(e);
      signal += r * r;
      other += c * c;
      dot += r * c;
      noise += e * e;
      sumAbs += a;
      if (a > maxAbs || Double.isNaN(a)) {
        maxAbs = Double.isNaN(a) ? Double.POSITIVE_INFINITY : a;
      }
      if (a > tolerance) {
        overTolerance++;
      }
    }
    count += ref.length;
  }

  long count() {
    return count;
  }

  double sqnrDb() {
    return Double.isNaN(noise) ? -DriftMetrics.MAX_SQNR_DB : DriftMetrics.sqnrDb(signal, noise);
  }

  double cosine() {
    return DriftMetrics.cosine(dot, signal, other);
  }

  double maxAbs() {
    return Double.isInfinite(maxAbs) ? Double.MAX_VALUE : maxAbs;
  }

  double meanAbs() {
    return count == 0 ? 0 : sumAbs / count;
  }

  long overTolerance() {
    return overTolerance;
  }
}
