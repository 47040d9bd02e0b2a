package org.edgeopt.planners.cascade;

import java.util.Locale;

/** A measure of how sure a classifier is of its top-1 answer, from its class probabilities; higher is surer. */
public enum ConfidenceSignal {
  /** The top-1 probability. */
  TOP1_PROBABILITY,
  /** The top-1 probability minus the runner-up's. */
  MARGIN,
  /** Minus the entropy of the distribution, in nats (0 for a one-hot answer). */
  NEGATIVE_ENTROPY;

  /** Returns the signal of one probability vector. */
  public double score(double[] p) {
    return switch (this) {
      case TOP1_PROBABILITY -> max(p, -1);
      case MARGIN -> {
        int top = argmax(p);
        yield p[top] - max(p, top);
      }
      case NEGATIVE_ENTROPY -> {
        double h = 0;
        for (double x : p) {
          h -= x > 0 ? x * Math.log(x) : 0;
        }
        yield -h;
      }
    };
  }

  /** Returns the id used on the command line and in JSON: {@code top1}, {@code margin}, {@code entropy}. */
  public String id() {
    return switch (this) {
      case TOP1_PROBABILITY -> "top1";
      case MARGIN -> "margin";
      case NEGATIVE_ENTROPY -> "entropy";
    };
  }

  /** Returns the class probabilities of one output row: the row itself if it already is a distribution, else its softmax. */
  public static double[] probabilities(float[] row, int offset, int classes) {
    double sum = 0;
    boolean nonNegative = true;
    for (int c = 0; c < classes; c++) {
      sum += row[offset + c];
      nonNegative &= row[offset + c] >= 0;
    }
    double[] p = new double[classes];
    if (nonNegative && Math.abs(sum - 1) < 1e-3) {
      for (int c = 0; c < classes; c++) {
        p[c] = row[offset + c];
      }
      return p;
    }
    double m = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      m = Math.max(m, row[offset + c]);
    }
    double z = 0;
    for (int c = 0; c < classes; c++) {
      p[c] = Math.exp(row[offset + c] - m);
      z += p[c];
    }
    for (int c = 0; c < classes; c++) {
      p[c] /= z;
    }
    return p;
  }

  static int argmax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  private static double max(double[] p, int skip) {
    double m = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < p.length; i++) {
      if (i != skip) {
        m = Math.max(m, p[i]);
      }
    }
    return m;
  }

  /** Parses an id or enum name. */
  public static ConfidenceSignal parse(String s) {
    for (ConfidenceSignal c : values()) {
      if (c.id().equalsIgnoreCase(s) || c.name().equalsIgnoreCase(s.replace('-', '_'))) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "expected a confidence signal (top1, margin, entropy), found '"
            + s
            + "'".toLowerCase(Locale.ROOT));
  }
}
