package org.edgeopt.deploy;

/**
 * Turns one sample's classifier output into probabilities and reads off what monitoring logs:
 * the predicted class, its probability, and the margin to the runner-up.
 */
public final class Scores {
  private Scores() {}

  /**
   * The summary of one prediction.
   *
   * @param predicted the top-1 class
   * @param confidence its probability
   * @param margin top-1 minus top-2 probability
   */
  public record Prediction(int predicted, double confidence, double margin) {}

  /**
   * Reads the prediction from {@code classes} output values at {@code offset}: probabilities are
   * taken as they are when they already are a distribution, otherwise they are logits and go
   * through a softmax.
   */
  public static Prediction of(float[] output, int offset, int classes) {
    double[] p = probabilities(output, offset, classes);
    int best = 0;
    for (int c = 1; c < classes; c++) {
      best = p[c] > p[best] ? c : best;
    }
    double second = 0;
    for (int c = 0; c < classes; c++) {
      if (c != best) {
        second = Math.max(second, p[c]);
      }
    }
    return new Prediction(best, p[best], p[best] - second);
  }

  /** Returns the class probabilities of one sample (softmax of logits, or the values as they are). */
  public static double[] probabilities(float[] output, int offset, int classes) {
    double sum = 0;
    boolean unit = true;
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      float v = output[offset + c];
      unit &= v >= 0 && v <= 1;
      sum += v;
      max = Math.max(max, v);
    }
    double[] p = new double[classes];
    if (unit && Math.abs(sum - 1) < 1e-3) {
      for (int c = 0; c < classes; c++) {
        p[c] = output[offset + c];
      }
      return p;
    }
    double z = 0;
    for (int c = 0; c < classes; c++) {
      p[c] = Math.exp(output[offset + c] - max);
      z += p[c];
    }
    for (int c = 0; c < classes; c++) {
      p[c] /= z;
    }
    return p;
  }
}
