package org.edgeopt.core.onnx;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Collectors;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Tensor;

/**
 * Converts ONNX {@code TensorProto}s (initializers and tensor attributes) into {@link Tensor}s:
 * raw or typed data copied, external data memory-mapped from inside the model's folder, and
 * every declared size checked before a buffer is allocated, so a corrupt header names the tensor
 * instead of exhausting memory.
 */
final class OnnxTensorReader {
  /** The largest tensor held in memory: Java buffers index bytes with an int. */
  static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;

  private OnnxTensorReader() {}

  /** Converts one ONNX tensor, resolving external data relative to {@code baseDir}. */
  static Tensor tensor(OnnxMl.TensorProto t, Path baseDir, String where) throws EdgeoptException {
    DataType dt;
    try {
      dt = DataType.fromOnnx(t.getDataType());
    } catch (IllegalArgumentException e) {
      throw EdgeoptException.invalid(where + ": tensor '" + t.getName() + "': " + e.getMessage());
    }
    if (dt == DataType.STRING) {
      throw EdgeoptException.invalid(
          where + ": tensor '" + t.getName() + "': string tensors are not supported");
    }
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long bytes = byteSize(t.getName(), dt, dims, where);
    long count = 1;
    for (long d : dims) {
      count *= d; // within range: byteSize checked the product
    }
    ByteBuffer data;
    if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
      data = external(t, baseDir, where, bytes);
    } else if (!t.getRawData().isEmpty()) {
      data = ByteBuffer.allocateDirect(t.getRawData().size()).order(ByteOrder.LITTLE_ENDIAN);
      t.getRawData().copyTo(data);
      data.flip();
    } else {
      int values =
          switch (dt) {
            case FLOAT -> t.getFloatDataCount();
            case DOUBLE -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            case UINT32, UINT64 -> t.getUint64DataCount();
            default -> t.getInt32DataCount();
          };
      if (values != count) {
        throw EdgeoptException.invalid(
            where
                + ": tensor '"
                + t.getName()
                + "': expected "
                + count
                + " values for "
                + dt
                + java.util.Arrays.toString(dims)
                + ", found "
                + values);
      }
      data = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
      switch (dt) {
        case FLOAT -> t.getFloatDataList().forEach(data::putFloat);
        case DOUBLE -> t.getDoubleDataList().forEach(data::putDouble);
        case INT64 -> t.getInt64DataList().forEach(data::putLong);
        case UINT32 -> t.getUint64DataList().forEach(v -> data.putInt(v.intValue()));
        case UINT64 -> t.getUint64DataList().forEach(data::putLong);
        case INT32 -> t.getInt32DataList().forEach(data::putInt);
        case INT16, UINT16, FLOAT16, BFLOAT16 ->
            t.getInt32DataList().forEach(v -> data.putShort(v.shortValue()));
        case INT8, UINT8, BOOL -> t.getInt32DataList().forEach(v -> data.put(v.byteValue()));
        default -> throw new IllegalStateException("unreachable: " + dt);
      }
      data.flip();
    }
    if (data.remaining() != bytes) {
      throw EdgeoptException.invalid(
          where
              + ": tensor '"
              + t.getName()
              + "': expected "
              + bytes
              + " bytes of data for "
              + dt
              + java.util.Arrays.toString(dims)
              + ", found "
              + data.remaining());
    }
    return new Tensor(t.getName(), dt, dims, data);
  }

  /**
   * Returns a tensor's size in bytes, refusing negative dimensions and sizes past what a buffer
   * holds, before any multiplication can overflow.
   */
  private static long byteSize(String name, DataType dt, long[] dims, String where)
      throws EdgeoptException {
    long count = 1;
    for (long d : dims) {
      if (d < 0) {
        throw EdgeoptException.invalid(
            where
                + ": tensor '"
                + name
                + "' declares dimensions "
                + java.util.Arrays.toString(dims)
                + ": expected sizes >= 0");
      }
      // Once count is 0 the product stays 0; otherwise stop as soon as it passes the limit.
      if (count > 0 && d > MAX_TENSOR_BYTES / count) {
        throw tooLarge(name, dt, dims, where);
      }
      count *= d;
    }
    if (count > MAX_TENSOR_BYTES / Math.max(1, dt.byteSize())) {
      throw tooLarge(name, dt, dims, where);
    }
    return count * dt.byteSize();
  }

  private static EdgeoptException tooLarge(String name, DataType dt, long[] dims, String where) {
    return EdgeoptException.invalid(
        where
            + ": tensor '"
            + name
            + "' declares "
            + dt.name().toLowerCase(java.util.Locale.ROOT)
            + java.util.Arrays.toString(dims)
            + ", more than "
            + MAX_TENSOR_BYTES
            + " bytes: expected a tensor of at most 2 GiB");
  }

  private static ByteBuffer external(OnnxMl.TensorProto t, Path baseDir, String where, long bytes)
      throws EdgeoptException {
    Map<String, String> kv =
        t.getExternalDataList().stream()
            .collect(
                Collectors.toMap(
                    OnnxMl.StringStringEntryProto::getKey,
                    OnnxMl.StringStringEntryProto::getValue,
                    (a, b) -> b));
    String location = kv.get("location");
    if (location == null || location.isEmpty()) {
      throw EdgeoptException.invalid(
          where + ": tensor '" + t.getName() + "': external data without a location");
    }
    Path dir = baseDir.toAbsolutePath().normalize();
    Path p;
    boolean absolute;
    try {
      p = dir.resolve(location).normalize();
      absolute = Path.of(location).isAbsolute();
    } catch (java.nio.file.InvalidPathException e) {
      throw EdgeoptException.invalid(
          where
              + ": tensor '"
              + t.getName()
              + "': external data location '"
              + org.edgeopt.core.Excerpt.of(location)
              + "' is not a valid file name: "
              + e.getReason());
    }
    if (absolute || !p.startsWith(dir)) {
      throw EdgeoptException.invalid(
          where
              + ": tensor '"
              + t.getName()
              + "': external data location '"
              + location
              + "' escapes the model's folder "
              + dir);
    }
    long offset = Long.parseLong(kv.getOrDefault("offset", "0"));
    long length = kv.containsKey("length") ? Long.parseLong(kv.get("length")) : bytes;
    if (!Files.isRegularFile(p)) {
      throw EdgeoptException.invalid(
          where + ": tensor '" + t.getName() + "': external data file not found: " + p);
    }
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      if (offset + length > ch.size()) {
        throw EdgeoptException.invalid(
            where
                + ": tensor '"
                + t.getName()
                + "': external data "
                + p
                + " has "
                + ch.size()
                + " bytes, expected at least "
                + (offset + length));
      }
      return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          where + ": tensor '" + t.getName() + "': cannot read external data " + p, e);
    }
  }
}
