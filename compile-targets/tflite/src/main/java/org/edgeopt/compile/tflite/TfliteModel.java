package org.edgeopt.compile.tflite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.TensorType;

/**
 * A TFLite model held in memory before it is written: one subgraph of tensors and operators,
 * plus metadata. Mutable while the lowering builds it; {@link TfliteFlatbuffers#write} turns it
 * into flatbuffer bytes.
 *
 * <p>Tensor types are the schema's {@link TensorType} codes; operator codes are the schema's
 * {@link BuiltinOperator} codes.
 */
public final class TfliteModel {

  /**
   * Affine quantization of one tensor: {@code real = scale * (q - zeroPoint)}.
   *
   * @param scales one scale, or one per channel
   * @param zeroPoints one zero point per scale
   * @param quantizedDimension the channel dimension for per-channel parameters (0 otherwise)
   */
  public record Quant(float[] scales, long[] zeroPoints, int quantizedDimension) {
    public Quant {
      scales = scales.clone();
      zeroPoints = zeroPoints.clone();
      if (scales.length != zeroPoints.length || scales.length == 0) {
        throw new IllegalArgumentException(
            "need one zero point per scale, found " + scales.length + " and " + zeroPoints.length);
      }
    }

    /** Returns per-tensor parameters. */
    public static Quant of(float scale, long zeroPoint) {
      return new Quant(new float[] {scale}, new long[] {zeroPoint}, 0);
    }

    /** Returns whether these parameters are per channel. */
    public boolean perChannel() {
      return scales.length > 1;
    }

    /** Returns the (first) scale. */
    public float scale() {
      return scales[0];
    }

    /** Returns the (first) zero point. */
    public long zeroPoint() {
      return zeroPoints[0];
    }

    @Override
    public float[] scales() {
      return scales.clone();
    }

    @Override
    public long[] zeroPoints() {
      return zeroPoints.clone();
    }

    /** Returns whether two per-tensor parameters are the same to within float rounding of the scale. */
    public boolean sameAs(Quant o) {
      if (o == null
          || scales.length != o.scales.length
          || !Arrays.equals(zeroPoints, o.zeroPoints)) {
        return false;
      }
      for (int i = 0; i < scales.length; i++) {
        if (Math.abs(scales[i] - o.scales[i])
            > 1e-6 * Math.max(Math.abs(scales[i]), Math.abs(o.scales[i]))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Quant q
          && Arrays.equals(scales, q.scales)
          && Arrays.equals(zeroPoints, q.zeroPoints)
          && quantizedDimension == q.quantizedDimension;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(scales) * 31 + Arrays.hashCode(zeroPoints) + quantizedDimension;
    }

    @Override
    public String toString() {
      return perChannel()
          ? "per-channel(dim " + quantizedDimension + ", " + scales.length + " scales)"
          : "(scale " + scales[0] + ", zero point " + zeroPoints[0] + ")";
    }
  }

  /** What an operator input is for: the checker holds activations, weights and biases to different rules. */
  public enum Role {
    /** A tensor computed at run time (or a graph input). */
    ACTIVATION,
    /** Constant weights or a constant operand. */
    WEIGHT,
    /** A constant int32 bias. */
    BIAS,
    /** A constant shape, paddings, axes or size operand. */
    PARAMETER
  }

  /**
   * One tensor.
   *
   * @param name the tensor name (ONNX value names where there is one)
   * @param type the schema {@link TensorType} code
   * @param shape the static shape (unknown dimensions written as 1)
   * @param shapeSignature the shape with -1 for dynamic dimensions, or null when fully static
   * @param data the constant contents (little-endian), or null for a computed tensor
   * @param quant the quantization parameters, or null
   */
  public record Tensor(
      String name, byte type, int[] shape, int[] shapeSignature, byte[] data, Quant quant) {
    public Tensor {
      shape = shape.clone();
      shapeSignature = shapeSignature == null ? null : shapeSignature.clone();
    }

    /** Returns a copy of the shape. */
    @Override
    public int[] shape() {
      return shape.clone();
    }

    /** Returns a copy of the shape signature, or null. */
    @Override
    public int[] shapeSignature() {
      return shapeSignature == null ? null : shapeSignature.clone();
    }

    /** Returns whether this tensor is a constant. */
    public boolean isConstant() {
      return data != null;
    }

    /** Returns whether every dimension is known. */
    public boolean isStatic() {
      if (shapeSignature == null) {
        return true;
      }
      for (int d : shapeSignature) {
        if (d < 0) {
          return false;
        }
      }
      return true;
    }

    /** Returns the schema name of the type, e.g. {@code INT8}. */
    public String typeName() {
      return TensorType.name(type);
    }
  }

  /**
   * One operator application.
   *
   * @param opcode the schema {@link BuiltinOperator} code
   * @param version the operator version the kernel is registered under
   * @param inputs the input tensor indices (-1 for an omitted optional input)
   * @param roles what each input is for
   * @param outputs the output tensor indices
   * @param options the builtin options
   * @param origin the ONNX node this operator was lowered from
   */
  public record Operator(
      int opcode,
      int version,
      int[] inputs,
      List<Role> roles,
      int[] outputs,
      OpOptions options,
      String origin) {
    public Operator {
      inputs = inputs.clone();
      outputs = outputs.clone();
      roles = List.copyOf(roles);
      if (roles.size() != inputs.length) {
        throw new IllegalArgumentException(
            "one role per input: "
                + roles.size()
                + " roles for "
                + inputs.length
                + " inputs of "
                + BuiltinOperator.name(opcode));
      }
    }

    /** Returns a copy of the input indices. */
    @Override
    public int[] inputs() {
      return inputs.clone();
    }

    /** Returns a copy of the output indices. */
    @Override
    public int[] outputs() {
      return outputs.clone();
    }

    /** Returns the schema name of the operator, e.g. {@code CONV_2D}. */
    public String name() {
      return BuiltinOperator.name(opcode);
    }
  }

  private final List<Tensor> tensors = new ArrayList<>();
  private final List<Operator> operators = new ArrayList<>();
  private final List<Integer> inputs = new ArrayList<>();
  private final List<Integer> outputs = new ArrayList<>();
  private final Map<String, byte[]> metadata = new LinkedHashMap<>();
  private String description = "";
  private String subgraphName = "main";

  /** Adds a tensor and returns its index. */
  public int addTensor(Tensor t) {
    tensors.add(t);
    return tensors.size() - 1;
  }

  /** Replaces the tensor at {@code index} (e.g. to rename a graph output). */
  public void setTensor(int index, Tensor t) {
    tensors.set(index, t);
  }

  /** Appends an operator; operators run in the order they are added. */
  public void addOperator(Operator op) {
    operators.add(op);
  }

  /** Marks a tensor as a model input. */
  public void addInput(int tensor) {
    inputs.add(tensor);
  }

  /** Marks a tensor as a model output. */
  public void addOutput(int tensor) {
    outputs.add(tensor);
  }

  /** Adds a named metadata entry (stored in its own buffer). */
  public void putMetadata(String name, byte[] value) {
    metadata.put(name, value.clone());
  }

  /** Sets the model description string. */
  public void description(String text) {
    this.description = text == null ? "" : text;
  }

  /** Sets the subgraph name. */
  public void subgraphName(String name) {
    this.subgraphName = name == null ? "main" : name;
  }

  /** Returns the tensors. */
  public List<Tensor> tensors() {
    return Collections.unmodifiableList(tensors);
  }

  /** Returns the tensor at {@code index}. */
  public Tensor tensor(int index) {
    return tensors.get(index);
  }

  /** Returns the operators in execution order. */
  public List<Operator> operators() {
    return Collections.unmodifiableList(operators);
  }

  /** Returns the input tensor indices. */
  public List<Integer> inputs() {
    return Collections.unmodifiableList(inputs);
  }

  /** Returns the output tensor indices. */
  public List<Integer> outputs() {
    return Collections.unmodifiableList(outputs);
  }

  /** Returns the metadata entries. */
  public Map<String, byte[]> metadata() {
    return Collections.unmodifiableMap(metadata);
  }

  /** Returns the description. */
  public String description() {
    return description;
  }

  /** Returns the subgraph name. */
  public String subgraphName() {
    return subgraphName;
  }
}
