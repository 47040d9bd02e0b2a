package org.edgeopt.compile.tensorrt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Value;

/**
 * The shapes one network input may take in a TensorRT engine: its optimization profile.
 *
 * @param name the input name
 * @param min the smallest shape
 * @param opt the shape kernels are tuned for
 * @param max the largest shape
 */
public record InputShape(String name, long[] min, long[] opt, long[] max) {
  public InputShape {
    min = min.clone();
    opt = opt.clone();
    max = max.clone();
  }

  /**
   * Returns the profiles of every graph input: a dynamic batch dimension ranges over
   * {@code 1..maxBatch} and is tuned for batch 1 (edge inference); any other dynamic dimension
   * is an error, since TensorRT needs its bounds.
   */
  public static List<InputShape> of(Graph g, int maxBatch, String where) throws EdgeoptException {
    List<InputShape> out = new ArrayList<>();
    for (Value v : g.inputs()) {
      Shape s = v.hasType() ? v.type().shape() : null;
      if (s == null) {
        throw EdgeoptException.invalid(
            where + ": input '" + v.name() + "' has no shape: expected a ranked input");
      }
      long[] min = s.sizes();
      long[] opt = s.sizes();
      long[] max = s.sizes();
      for (int i = 0; i < min.length; i++) {
        if (min[i] >= 0) {
          continue;
        }
        if (i != 0) {
          throw EdgeoptException.invalid(
              where
                  + ": input '"
                  + v.name()
                  + "' has dynamic dimension "
                  + i
                  + " ("
                  + s
                  + "): expected only the batch dimension to be dynamic");
        }
        min[i] = 1;
        opt[i] = 1;
        max[i] = Math.max(1, maxBatch);
      }
      out.add(new InputShape(v.name(), min, opt, max));
    }
    return out;
  }

  /** Returns whether the input has one fixed shape. */
  public boolean isStatic() {
    return Arrays.equals(min, max);
  }

  /** Returns a shape as trtexec writes it, e.g. {@code 1x1x28x28}. */
  static String dims(long[] d) {
    return Arrays.stream(d).mapToObj(Long::toString).collect(Collectors.joining("x"));
  }

  @Override
  public long[] min() {
    return min.clone();
  }

  @Override
  public long[] opt() {
    return opt.clone();
  }

  @Override
  public long[] max() {
    return max.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputShape s
        && name.equals(s.name)
        && Arrays.equals(min, s.min)
        && Arrays.equals(opt, s.opt)
        && Arrays.equals(max, s.max);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(max);
  }

  @Override
  public String toString() {
    return name + ":" + dims(min) + ".." + dims(max);
  }
}
