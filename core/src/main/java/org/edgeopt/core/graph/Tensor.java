package org.edgeopt.core.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable dense tensor with a name, an element type, dimensions and little-endian data.
 *
 * <p>The data lives in a read-only {@link ByteBuffer} (direct or memory-mapped for large
 * weights), never as boxed lists; accessors copy out into primitive arrays.
 */
public final class Tensor {
  private final String name;
  private final DataType dataType;
  private final long[] dims;
  private final ByteBuffer data;

  /** Creates a tensor over little-endian {@code data}, which must hold exactly the elements. */
  public Tensor(String name, DataType dataType, long[] dims, ByteBuffer data) {
    this.name = Objects.requireNonNull(name, "name");
    this.dataType = Objects.requireNonNull(dataType, "dataType");
    this.dims = dims.clone();
    long count = elementCount(this.dims);
    ByteBuffer d = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (dataType != DataType.STRING && d.remaining() != count * dataType.byteSize()) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "': expected "
              + count * dataType.byteSize()
              + " bytes for "
              + dataType
              + Arrays.toString(dims)
              + ", found "
              + d.remaining());
    }
    this.data =
        d.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long elementCount(long[] dims) {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
      }
      n *= d;
    }
    return n;
  }

  private static ByteBuffer allocate(long bytes) {
    return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns a float32 tensor holding a copy of {@code values}. */
  public static Tensor ofFloats(String name, long[] dims, float[] values) {
    ByteBuffer b = allocate(4L * values.length);
    b.asFloatBuffer().put(values);
    return new Tensor(name, DataType.FLOAT, dims, b);
  }

  /** Returns a float16 tensor holding {@code values} rounded to half precision. */
  public static Tensor ofFloat16(String name, long[] dims, float[] values) {
    ByteBuffer b = allocate(2L * values.length);
    for (float v : values) {
      b.putShort(Float16.fromFloat(v));
    }
    b.flip();
    return new Tensor(name, DataType.FLOAT16, dims, b);
  }

  /** Returns an int64 tensor holding a copy of {@code values}. */
  public static Tensor ofLongs(String name, long[] dims, long[] values) {
    ByteBuffer b = allocate(8L * values.length);
    b.asLongBuffer().put(values);
    return new Tensor(name, DataType.INT64, dims, b);
  }

  /** Returns an int32 tensor holding a copy of {@code values}. */
  public static Tensor ofInts(String name, long[] dims, int[] values) {
    ByteBuffer b = allocate(4L * values.length);
    b.asIntBuffer().put(values);
    return new Tensor(name, DataType.INT32, dims, b);
  }

  /** Returns an int8 or uint8 tensor holding a copy of {@code values}. */
  public static Tensor ofBytes(String name, DataType type, long[] dims, byte[] values) {
    if (type.byteSize() != 1) {
      throw new IllegalArgumentException("ofBytes takes a one-byte type, not " + type);
    }
    ByteBuffer b = allocate(values.length);
    b.put(values).flip();
    return new Tensor(name, type, dims, b);
  }

  /** Returns a scalar float32 tensor. */
  public static Tensor scalar(String name, float value) {
    return ofFloats(name, new long[0], new float[] {value});
  }

  /** Returns this tensor under another name, sharing the data. */
  public Tensor withName(String newName) {
    return new Tensor(newName, dataType, dims, data);
  }

  /**
   * Returns this tensor with other dimensions of the same element count, sharing the data (row-major
   * order is unchanged).
   *
   * @throws IllegalArgumentException if the element counts differ
   */
  public Tensor withDims(long[] newDims) {
    return new Tensor(name, dataType, newDims, data);
  }

  /** Returns the name. */
  public String name() {
    return name;
  }

  /** Returns the element type. */
  public DataType dataType() {
    return dataType;
  }

  /** Returns a copy of the dimensions. */
  public long[] dims() {
    return dims.clone();
  }

  /** Returns the rank. */
  public int rank() {
    return dims.length;
  }

  /** Returns the size of dimension {@code i}. */
  public long dim(int i) {
    return dims[i];
  }

  /** Returns the number of elements. */
  public long elementCount() {
    return elementCount(dims);
  }

  /** Returns the size of the data in bytes. */
  public long byteSize() {
    return data.remaining();
  }

  /** Returns a read-only little-endian view of the data, positioned at 0. */
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns the type of this tensor as a value type. */
  public TensorType type() {
    return TensorType.of(dataType, dims);
  }

  /** Returns the elements converted to float (exact for float16, int8, uint8, int16). */
  public float[] toFloats() {
    int n = Math.toIntExact(elementCount());
    float[] out = new float[n];
    ByteBuffer b = data();
    switch (dataType) {
      case FLOAT -> b.asFloatBuffer().get(out);
      case FLOAT16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float16.toFloat(b.getShort());
        }
      }
      case DOUBLE -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) b.getDouble();
        }
      }
      case INT8 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get();
        }
      }
      case UINT8, BOOL -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get() & 0xff;
        }
      }
      case INT16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getShort();
        }
      }
      case INT32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getInt();
        }
      }
      case INT64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getLong();
        }
      }
      default ->
          throw new IllegalStateException(
              "tensor '" + name + "' of type " + dataType + " has no float view");
    }
    return out;
  }

  /** Returns the elements as longs (for integer and bool tensors, e.g. shapes and axes). */
  public long[] toLongs() {
    int n = Math.toIntExact(elementCount());
    long[] out = new long[n];
    ByteBuffer b = data();
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (dataType) {
            case INT64 -> b.getLong();
            case INT32 -> b.getInt();
            case INT8 -> b.get();
            case UINT8, BOOL -> b.get() & 0xff;
            case INT16 -> b.getShort();
            case FLOAT -> (long) b.getFloat();
            default ->
                throw new IllegalStateException(
                    "tensor '" + name + "' of type " + dataType + " has no integer view");
          };
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && name.equals(t.name)
        && dataType == t.dataType
        && Arrays.equals(dims, t.dims)
        && data().equals(t.data());
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dataType, Arrays.hashCode(dims));
  }

  @Override
  public String toString() {
    return "Tensor[" + name + ": " + dataType + Arrays.toString(dims) + "]";
  }
}
