package org.edgeopt.validate;

import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.runtime.InferenceSession;

/** Turns holdout batches into what each session takes: its input name, element type and batch size. */
final class ModelFeeds {
  private ModelFeeds() {}

  /**
   * Refuses a model the holdout cannot be fed through or compared on: one without inputs or
   * outputs (what comes before a comparison assumes the first of each).
   */
  static void requireInputAndOutput(InferenceSession s, String where) throws EdgeoptException {
    if (s.inputNames().isEmpty()) {
      throw EdgeoptException.invalid(
          where + ": the model has no tensor inputs: expected one input that takes the holdout");
    }
    if (s.outputNames().isEmpty()) {
      throw EdgeoptException.invalid(
          where + ": the model has no outputs: expected at least one output to compare");
    }
  }

  /** Returns the declared type of a session's first input, or {@code null} when the runtime does not say. */
  static TensorType inputType(InferenceSession s) {
    return s.inputTypes().get(s.inputNames().get(0));
  }

  /** Returns the fixed batch dimension of a session's first input, or 0 when it is dynamic or unknown. */
  static int fixedBatch(InferenceSession s) {
    TensorType t = inputType(s);
    if (t == null || t.shape() == null || t.shape().rank() == 0) {
      return 0;
    }
    long n = t.shape().size(0);
    return n > 0 ? (int) n : 0;
  }

  /**
   * Returns the batch size both sessions accept: the fixed batch dimension of either (mnist-7 takes
   * exactly one image), else {@code wanted}.
   *
   * @throws EdgeoptException if the two fix different batch sizes
   */
  static int batchSize(
      int wanted,
      InferenceSession reference,
      InferenceSession candidate,
      String referenceWhere,
      String candidateWhere)
      throws EdgeoptException {
    int r = fixedBatch(reference);
    int c = fixedBatch(candidate);
    if (r > 0 && c > 0 && r != c) {
      throw EdgeoptException.invalid(
          candidateWhere
              + ": input batch dimension is fixed at "
              + c
              + " but the reference "
              + referenceWhere
              + " fixes it at "
              + r
              + ": expected the same batch size");
    }
    return r > 0 ? r : c > 0 ? c : Math.max(1, wanted);
  }

  /**
   * Returns whether holdout samples of shape {@code sample} fit an input declared as {@code
   * declared} (batch first): the same sizes, a dynamic size matching any, or the same once every
   * size-1 dimension is dropped from both, which moves no value (a gray image's {@code [1, 28, 28]}
   * for a {@code [N, 28, 28]} input).
   */
  static boolean fits(long[] declared, long[] sample) {
    return sameSizes(declared, sample) || sameButOnes(declared, sample);
  }

  private static boolean sameSizes(long[] declared, long[] sample) {
    boolean ok = declared.length == sample.length + 1;
    for (int i = 1; ok && i < declared.length; i++) {
      ok = declared[i] < 0 || declared[i] == sample[i - 1];
    }
    return ok;
  }

  private static boolean sameButOnes(long[] declared, long[] sample) {
    if (declared.length == 0) {
      return false;
    }
    long[] want = java.util.Arrays.copyOfRange(declared, 1, declared.length);
    return java.util.Arrays.stream(want).allMatch(d -> d > 0)
        && java.util.Arrays.equals(
            java.util.Arrays.stream(want).filter(d -> d != 1).toArray(),
            java.util.Arrays.stream(sample).filter(d -> d != 1).toArray());
  }

  /**
   * Returns the batch's input renamed for the session, shaped as it declares when the two differ
   * only by size-1 dimensions ({@link #fits}), and converted to the element type it declares.
   */
  static Map<String, Tensor> feed(InferenceSession s, Tensor input) {
    String name = s.inputNames().get(0);
    TensorType t = inputType(s);
    if (t != null && t.shape() != null && input.rank() > 0) {
      long[] want = t.shape().sizes();
      long[] sample = java.util.Arrays.copyOfRange(input.dims(), 1, input.rank());
      if (!sameSizes(want, sample) && sameButOnes(want, sample)) {
        long[] dims = want.clone();
        dims[0] = input.dims()[0];
        input = input.withDims(dims);
      }
    }
    if (t != null && t.dataType() == DataType.FLOAT16 && input.dataType() == DataType.FLOAT) {
      return Map.of(name, Tensor.ofFloat16(name, input.dims(), input.toFloats()));
    }
    return Map.of(name, input.withName(name));
  }

  /** Returns a type as reports show it, e.g. {@code float[-1, 1, 28, 28]}, or {@code unknown}. */
  static String describe(TensorType t) {
    if (t == null) {
      return "unknown";
    }
    String dims = t.shape() == null ? "" : java.util.Arrays.toString(t.shape().sizes());
    return t.dataType().name().toLowerCase(java.util.Locale.ROOT) + dims;
  }
}
