package org.edgeopt.core.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shape of a tensor: a list of dimensions, each a known size or a symbol.
 *
 * @param dims the dimensions, outermost first
 */
public record Shape(List<Dim> dims) {

  /**
   * One dimension: a size {@code >= 0}, or unknown ({@code -1}) with an optional symbol.
   *
   * @param size the size, or -1 when not known
   * @param symbol the symbolic name (e.g. {@code batch}), or null
   */
  public record Dim(long size, String symbol) {
    /** Returns whether the size is known. */
    public boolean isKnown() {
      return size >= 0;
    }

    @Override
    public String toString() {
      return size >= 0 ? Long.toString(size) : (symbol == null ? "?" : symbol);
    }
  }

  public Shape {
    dims = List.copyOf(dims);
  }

  /** Returns a fully known shape. */
  public static Shape of(long... sizes) {
    List<Dim> d = new ArrayList<>(sizes.length);
    for (long s : sizes) {
      d.add(new Dim(s < 0 ? -1 : s, null));
    }
    return new Shape(d);
  }

  /** Returns the number of dimensions. */
  public int rank() {
    return dims.size();
  }

  /** Returns the size of dimension {@code i}, or -1 when unknown. */
  public long size(int i) {
    return dims.get(i).size();
  }

  /** Returns whether every dimension is known. */
  public boolean isStatic() {
    return dims.stream().allMatch(Dim::isKnown);
  }

  /** Returns the sizes, with -1 for unknown dimensions. */
  public long[] sizes() {
    return dims.stream().mapToLong(Dim::size).toArray();
  }

  /** Returns the element count, or -1 when a dimension is unknown. */
  public long elementCount() {
    long n = 1;
    for (Dim d : dims) {
      if (!d.isKnown()) {
        return -1;
      }
      n *= d.size();
    }
    return n;
  }

  /** Returns this shape with dimension {@code i} replaced by a known size. */
  public Shape withSize(int i, long size) {
    List<Dim> d = new ArrayList<>(dims);
    d.set(i, new Dim(size, null));
    return new Shape(d);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims.toArray());
  }
}
