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
    return prediction(probabilities(output, offset, classes));
  }

  private static Prediction prediction(double[] p) {
    int classes = p.length;
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

  /**
   * As {@link #of(float[], int, int)}, with the way to read the values decided for the whole model
   * ({@link #probabilityOutput}): {@code probabilities} takes them as they are.
   */
  public static Prediction of(float[] output, int offset, int classes, boolean probabilities) {
    return prediction(
        probabilities ? asIs(output, offset, classes) : softmax(output, offset, classes));
  }

  /**
   * Returns whether a model's outputs are probabilities already, from a batch of them: every value
   * in [0, 1]. Their sum is no test for a quantized Softmax: rounded to 8 bits, the small
   * probabilities of a 1,000-class output round to 0 and the row may sum to 0.7; logits, on the
   * other hand, almost never all lie in [0, 1] over a batch.
   */
  public static boolean probabilityOutput(float[] outputs) {
    for (float v : outputs) {
      if (!(v >= 0 && v <= 1)) {
        return false;
      }
    }
    return outputs.length > 0;
  }

  /** Returns the class probabilities of one sample (softmax of logits, or the values as they are). */
  public static double[] probabilities(float[] output, int offset, int classes) {
    double sum = 0;
    boolean unit = true;
    for (int c = 0; c < classes; c++) {
      float v = output[offset + c];
      unit &= v >= 0 && v <= 1;
      sum += v;
    }
    return unit && Math.abs(sum - 1) < 1e-3
        ? asIs(output, offset, classes)
        : softmax(output, offset, classes);
  }

  private static double[] asIs(float[] output, int offset, int classes) {
    double[] p = new double[classes];
    for (int c = 0; c < classes; c++) {
      p[c] = output[offset + c];
    }
    return p;
  }

  private static double[] softmax(float[] output, int offset, int classes) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, output[offset + c]);
    }
    double[] p = new double[classes];
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
