package org.edgeopt.quantize;

/**
 * The rounding of one output channel's weights that (locally) minimizes its output error
 * {@code e^T H e}, {@code e = s q - w}, each integer {@code q_k} restricted to
 * {@code floor(w_k / s)} or {@code ceil(w_k / s)} within {@code [-qmax, qmax]}: coordinate
 * descent from the given start, see {@link AdaRound}.
 *
 * @param q the chosen integers
 * @param errorBefore {@code e^T H e} at the start
 * @param errorAfter {@code e^T H e} at the end (never larger)
 * @param sweeps the sweeps run
 */
record ChannelRounding(int[] q, double errorBefore, double errorAfter, int sweeps) {

  /**
   * Searches from {@code start} (nearest rounding). Integers at {@code +-qmax} stay, so the
   * largest weight, which sets the scale, keeps its value.
   *
   * @param w the float weights (length K)
   * @param s the scale
   * @param h the K x K Gram matrix, row-major, symmetric
   * @param maxSweeps the most passes over all weights
   */
  static ChannelRounding search(
      double[] w, double s, int qmax, int[] start, double[] h, int maxSweeps) {
    int k = w.length;
    int[] q = start.clone();
    double[] e = new double[k];
    for (int i = 0; i < k; i++) {
      e[i] = s * q[i] - w[i];
    }
    double[] r = new double[k];
    for (int i = 0; i < k; i++) {
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += h[i * k + j] * e[j];
      }
      r[i] = sum;
    }
    double before = 0;
    for (int i = 0; i < k; i++) {
      before += e[i] * r[i];
    }
    double error = before;
    int sweeps = 0;
    // Improvements smaller than this are float noise in r, not a better rounding.
    double tiny = 1e-12 * Math.max(before, Double.MIN_NORMAL);
    while (sweeps < maxSweeps) {
      sweeps++;
      int changed = 0;
      for (int i = 0; i < k; i++) {
        if (Math.abs(q[i]) >= qmax) {
          continue;
        }
        double x = w[i] / s;
        int lo = (int) Math.max(-qmax, Math.floor(x));
        int hi = (int) Math.min(qmax, Math.ceil(x));
        if (lo == hi) {
          continue;
        }
        int alt = q[i] == lo ? hi : lo;
        double d = s * (alt - q[i]);
        double delta = 2 * d * r[i] + d * d * h[i * k + i];
        if (delta < -tiny) {
          q[i] = alt;
          e[i] += d;
          int row = i * k;
          for (int j = 0; j < k; j++) {
            r[j] += d * h[row + j];
          }
          error += delta;
          changed++;
        }
      }
      if (changed == 0) {
        break;
      }
    }
    return new ChannelRounding(q, before, Math.max(0, error), sweeps);
  }
}
