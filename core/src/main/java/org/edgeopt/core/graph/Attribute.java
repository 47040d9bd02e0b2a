package org.edgeopt.core.graph;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A node attribute: a name and one typed value.
 *
 * <p>Array values are copied in and out, so an attribute cannot change after it is built.
 * Sub-graph attributes (for {@code If}/{@code Loop}) are kept as their serialized ONNX bytes:
 * edgeopt passes never rewrite inside them, but a round trip keeps them intact.
 */
public final class Attribute {
  /** The kinds of attribute value, numbered as in ONNX's {@code AttributeProto.AttributeType}. */
  public enum Kind {
    FLOAT,
    INT,
    STRING,
    TENSOR,
    GRAPH,
    FLOATS,
    INTS,
    STRINGS
  }

  private final String name;
  private final Kind kind;
  private final Object value;

  private Attribute(String name, Kind kind, Object value) {
    this.name = Objects.requireNonNull(name, "name");
    this.kind = kind;
    this.value = value;
  }

  /** Returns an int attribute. */
  public static Attribute of(String name, long v) {
    return new Attribute(name, Kind.INT, v);
  }

  /** Returns a float attribute. */
  public static Attribute of(String name, float v) {
    return new Attribute(name, Kind.FLOAT, v);
  }

  /** Returns a string attribute. */
  public static Attribute of(String name, String v) {
    return new Attribute(name, Kind.STRING, v);
  }

  /** Returns an ints attribute. */
  public static Attribute of(String name, long[] v) {
    return new Attribute(name, Kind.INTS, v.clone());
  }

  /** Returns a floats attribute. */
  public static Attribute of(String name, float[] v) {
    return new Attribute(name, Kind.FLOATS, v.clone());
  }

  /** Returns a strings attribute. */
  public static Attribute ofStrings(String name, List<String> v) {
    return new Attribute(name, Kind.STRINGS, List.copyOf(v));
  }

  /** Returns a tensor attribute. */
  public static Attribute of(String name, Tensor v) {
    return new Attribute(name, Kind.TENSOR, v);
  }

  /** Returns a sub-graph attribute holding a serialized ONNX {@code GraphProto}. */
  public static Attribute ofGraphBytes(String name, byte[] serializedGraph) {
    return new Attribute(name, Kind.GRAPH, serializedGraph.clone());
  }

  /** Returns the name. */
  public String name() {
    return name;
  }

  /** Returns the kind of value. */
  public Kind kind() {
    return kind;
  }

  private void expect(Kind k) {
    if (kind != k) {
      throw new InvalidGraphException(
          "attribute '"
              + name
              + "': expected "
              + k
              + " (the type its operator defines), found "
              + kind);
    }
  }

  /** Returns the int value. */
  public long asLong() {
    expect(Kind.INT);
    return (Long) value;
  }

  /** Returns the float value. */
  public float asFloat() {
    expect(Kind.FLOAT);
    return (Float) value;
  }

  /** Returns the string value. */
  public String asString() {
    expect(Kind.STRING);
    return (String) value;
  }

  /** Returns a copy of the ints value. */
  public long[] asLongs() {
    expect(Kind.INTS);
    return ((long[]) value).clone();
  }

  /** Returns a copy of the floats value. */
  public float[] asFloats() {
    expect(Kind.FLOATS);
    return ((float[]) value).clone();
  }

  /** Returns the strings value. */
  @SuppressWarnings("unchecked")
  public List<String> asStrings() {
    expect(Kind.STRINGS);
    return (List<String>) value;
  }

  /** Returns the tensor value. */
  public Tensor asTensor() {
    expect(Kind.TENSOR);
    return (Tensor) value;
  }

  /** Returns a copy of the serialized sub-graph. */
  public byte[] asGraphBytes() {
    expect(Kind.GRAPH);
    return ((byte[]) value).clone();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Attribute a) || !name.equals(a.name) || kind != a.kind) {
      return false;
    }
    return switch (kind) {
      case INTS -> Arrays.equals((long[]) value, (long[]) a.value);
      case FLOATS -> Arrays.equals((float[]) value, (float[]) a.value);
      case GRAPH -> Arrays.equals((byte[]) value, (byte[]) a.value);
      default -> value.equals(a.value);
    };
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, kind);
  }

  @Override
  public String toString() {
    Object v =
        switch (kind) {
          case INTS -> Arrays.toString((long[]) value);
          case FLOATS -> Arrays.toString((float[]) value);
          case GRAPH -> "<graph>";
          default -> value;
        };
    return name + "=" + v;
  }
}
