package org.edgeopt.core.graph;

/** Element types of tensors, numbered as in ONNX's {@code TensorProto.DataType}. */
public enum DataType {
  FLOAT(1, 4),
  UINT8(2, 1),
  INT8(3, 1),
  UINT16(4, 2),
  INT16(5, 2),
  INT32(6, 4),
  INT64(7, 8),
  STRING(8, 0),
  BOOL(9, 1),
  FLOAT16(10, 2),
  DOUBLE(11, 8),
  UINT32(12, 4),
  UINT64(13, 8),
  BFLOAT16(16, 2);

  private final int onnxCode;
  private final int byteSize;

  DataType(int onnxCode, int byteSize) {
    this.onnxCode = onnxCode;
    this.byteSize = byteSize;
  }

  /** Returns the ONNX {@code TensorProto.DataType} number. */
  public int onnxCode() {
    return onnxCode;
  }

  /** Returns the size of one element in bytes (0 for strings). */
  public int byteSize() {
    return byteSize;
  }

  /** Returns whether this is a floating-point type. */
  public boolean isFloat() {
    return this == FLOAT || this == FLOAT16 || this == DOUBLE || this == BFLOAT16;
  }

  /** Returns the type with the given ONNX number. */
  public static DataType fromOnnx(int code) {
    for (DataType t : values()) {
      if (t.onnxCode == code) {
        return t;
      }
    }
    throw new IllegalArgumentException("unsupported ONNX tensor data type " + code);
  }
}
