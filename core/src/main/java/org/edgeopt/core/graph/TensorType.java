package org.edgeopt.core.graph;

import java.util.Objects;

/**
 * The element type and shape of a tensor value.
 *
 * @param dataType the element type
 * @param shape the shape, or null when not known
 */
public record TensorType(DataType dataType, Shape shape) {
  public TensorType {
    Objects.requireNonNull(dataType, "dataType");
  }

  /** Returns a type with a fully known shape. */
  public static TensorType of(DataType dataType, long... sizes) {
    return new TensorType(dataType, Shape.of(sizes));
  }

  @Override
  public String toString() {
    return dataType.name().toLowerCase(java.util.Locale.ROOT)
        + (shape == null ? "" : shape.toString());
  }
}
