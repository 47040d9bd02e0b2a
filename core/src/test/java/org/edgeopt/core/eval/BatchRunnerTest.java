package org.edgeopt.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.edgeopt.core.graph.Tensor;
import org.junit.jupiter.api.Test;

class BatchRunnerTest {
  private static final float[] TWO_SAMPLES = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f};

  @Test
  void topOneIsPerSampleWhateverTheTrailingOnes() {
    assertArrayEquals(
        new int[] {1, 0}, BatchRunner.top1(Tensor.ofFloats("y", new long[] {2, 3}, TWO_SAMPLES)));
    // A convolutional head (SqueezeNet's conv10 -> pool -> Softmax) keeps H = W = 1.
    assertArrayEquals(
        new int[] {1, 0},
        BatchRunner.top1(Tensor.ofFloats("y", new long[] {2, 3, 1, 1}, TWO_SAMPLES)));
    assertArrayEquals(
        new int[] {1},
        BatchRunner.top1(Tensor.ofFloats("y", new long[] {1, 1000, 1, 1}, oneHot(1000, 1))));
    assertArrayEquals(
        new int[] {2},
        BatchRunner.top1(Tensor.ofFloats("y", new long[] {3}, new float[] {0, 1, 2})));
  }

  @Test
  void anOutputWithTwoScoreAxesIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> BatchRunner.top1(Tensor.ofFloats("seq", new long[] {1, 2, 3}, TWO_SAMPLES)));
    assertTrue(e.getMessage().contains("output 'seq' of shape [1, 2, 3]"), e.getMessage());
  }

  private static float[] oneHot(int n, int at) {
    float[] v = new float[n];
    v[at] = 1;
    return v;
  }
}
