package org.edgeopt.core.targets;

/**
 * The 2:4 semi-structured sparsity pattern that Ampere-class tensor cores skip: in every group
 * of four consecutive values along the reduction axis, at most two are non-zero. Shared by the
 * pruner that makes the pattern and the TensorRT target that tells the builder about it.
 */
public final class SparsityPattern {
  private SparsityPattern() {}

  /** Returns whether every group of four along {@code axis} of a row-major tensor has at most two non-zeros. */
  public static boolean isTwoFour(float[] v, long[] dims, int axis) {
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int r = (int) dims[axis];
    int outer = v.length / (inner * r);
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        for (int g = 0; g + 4 <= r; g += 4) {
          int nonZero = 0;
          for (int j = 0; j < 4; j++) {
            if (v[(o * r + g + j) * inner + i] != 0f) {
              nonZero++;
            }
          }
          if (nonZero > 2) {
            return false;
          }
        }
      }
    }
    return true;
  }
}
