package org.edgeopt.validate;

/**
 * Running sums for comparing a signal with its reference over many batches, so that SQNR,
 * cosine similarity and absolute errors cover every value seen without keeping any of them.
 * The sums are exact ({@link ExactSum}), so the figures do not depend on the order the values
 * came in, and two accumulators {@link #merge merge} into what one pass over both would hold.
 */
final class ErrorAccumulator {
  private final ExactSum signal = new ExactSum();
  private final ExactSum other = new ExactSum();
  private final ExactSum dot = new ExactSum();
  private final ExactSum noise = new ExactSum();
  private final ExactSum sumAbs = new ExactSum();
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
      throw new IllegalArgumentException(
          "cannot compare " + ref.length + " reference values with " + cmp.length);
    }
    for (int i = 0; i < ref.length; i++) {
      double r = ref[i];
      double c = cmp[i];
      double e = r - c;
      double a = Math.abs(e);
      // Each term is computed the same way wherever it is added; only the summing is exact.
      signal.add(r * r);
      other.add(c * c);
      dot.add(r * c);
      noise.add(e * e);
      sumAbs.add(a);
      if (a > maxAbs || Double.isNaN(a)) {
        maxAbs = Double.isNaN(a) ? Double.POSITIVE_INFINITY : a;
      }
      if (a > tolerance) {
        overTolerance++;
      }
    }
    count += ref.length;
  }

  /** Adds what {@code o} holds; both must have the same tolerance. */
  void merge(ErrorAccumulator o) {
    if (Double.compare(tolerance, o.tolerance) != 0) {
      throw new IllegalArgumentException(
          "cannot merge output errors counted over tolerance " + tolerance + " and " + o.tolerance);
    }
    signal.add(o.signal);
    other.add(o.other);
    dot.add(o.dot);
    noise.add(o.noise);
    sumAbs.add(o.sumAbs);
    if (o.maxAbs > maxAbs) {
      maxAbs = o.maxAbs;
    }
    count += o.count;
    overTolerance += o.overTolerance;
  }

  /** Writes the state (the format is {@link DriftCodec}'s). */
  void write(java.io.DataOutputStream out) throws java.io.IOException {
    out.writeLong(Double.doubleToRawLongBits(tolerance));
    for (ExactSum s : new ExactSum[] {signal, other, dot, noise, sumAbs}) {
      s.write(out);
    }
    out.writeLong(Double.doubleToRawLongBits(maxAbs));
    out.writeLong(count);
    out.writeLong(overTolerance);
  }

  /** Reads what {@link #write} wrote. */
  static ErrorAccumulator read(java.io.DataInputStream in) throws java.io.IOException {
    ErrorAccumulator a = new ErrorAccumulator();
    a.tolerance = Double.longBitsToDouble(in.readLong());
    for (ExactSum s : new ExactSum[] {a.signal, a.other, a.dot, a.noise, a.sumAbs}) {
      s.add(ExactSum.read(in));
    }
    a.maxAbs = Double.longBitsToDouble(in.readLong());
    a.count = in.readLong();
    a.overTolerance = in.readLong();
    return a;
  }

  long count() {
    return count;
  }

  double sqnrDb() {
    double n = noise.value();
    return Double.isNaN(n) ? -DriftMetrics.MAX_SQNR_DB : DriftMetrics.sqnrDb(signal.value(), n);
  }

  double cosine() {
    return DriftMetrics.cosine(dot.value(), signal.value(), other.value());
  }

  double maxAbs() {
    return Double.isInfinite(maxAbs) ? Double.MAX_VALUE : maxAbs;
  }

  double meanAbs() {
    return count == 0 ? 0 : sumAbs.value() / count;
  }

  long overTolerance() {
    return overTolerance;
  }
}
