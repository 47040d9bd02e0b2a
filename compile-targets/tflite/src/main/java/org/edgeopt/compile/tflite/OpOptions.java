package org.edgeopt.compile.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import org.tensorflow.lite.schema.AddOptions;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.ConcatenationOptions;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.DepthwiseConv2DOptions;
import org.tensorflow.lite.schema.FullyConnectedOptions;
import org.tensorflow.lite.schema.MulOptions;
import org.tensorflow.lite.schema.PadOptions;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.QuantizeOptions;
import org.tensorflow.lite.schema.ReducerOptions;
import org.tensorflow.lite.schema.ReshapeOptions;
import org.tensorflow.lite.schema.ResizeBilinearOptions;
import org.tensorflow.lite.schema.ResizeNearestNeighborOptions;
import org.tensorflow.lite.schema.SoftmaxOptions;
import org.tensorflow.lite.schema.SubOptions;

/**
 * The builtin options of one TFLite operator, as small records that know their schema union type
 * and how to serialize themselves.
 */
public sealed interface OpOptions {

  /** Returns the schema {@link BuiltinOptions} union type code ({@code NONE} when there are no options). */
  byte type();

  /** Writes the options table and returns its offset (0 when there is none). */
  int write(FlatBufferBuilder b);

  /** No options (RELU, RELU6, RELU_N1_TO_1). */
  record None() implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.NONE;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return 0;
    }
  }

  /**
   * CONV_2D.
   *
   * @param padding {@code Padding.SAME} or {@code Padding.VALID}
   * @param strideW horizontal stride
   * @param strideH vertical stride
   * @param activation the fused {@code ActivationFunctionType}
   * @param dilationW horizontal dilation
   * @param dilationH vertical dilation
   */
  record Conv2D(
      byte padding, int strideW, int strideH, byte activation, int dilationW, int dilationH)
      implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.Conv2DOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return Conv2DOptions.createConv2DOptions(
          b, padding, strideW, strideH, activation, dilationW, dilationH);
    }
  }

  /**
   * DEPTHWISE_CONV_2D.
   *
   * @param padding {@code Padding.SAME} or {@code Padding.VALID}
   * @param strideW horizontal stride
   * @param strideH vertical stride
   * @param depthMultiplier output channels per input channel
   * @param activation the fused {@code ActivationFunctionType}
   * @param dilationW horizontal dilation
   * @param dilationH vertical dilation
   */
  record DepthwiseConv2D(
      byte padding,
      int strideW,
      int strideH,
      int depthMultiplier,
      byte activation,
      int dilationW,
      int dilationH)
      implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.DepthwiseConv2DOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return DepthwiseConv2DOptions.createDepthwiseConv2DOptions(
          b, padding, strideW, strideH, depthMultiplier, activation, dilationW, dilationH);
    }
  }

  /**
   * FULLY_CONNECTED (default weights format, 2-D output).
   *
   * @param activation the fused {@code ActivationFunctionType}
   */
  record FullyConnected(byte activation) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.FullyConnectedOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return FullyConnectedOptions.createFullyConnectedOptions(
          b, activation, (byte) 0, false, false);
    }
  }

  /**
   * MAX_POOL_2D and AVERAGE_POOL_2D.
   *
   * @param padding {@code Padding.SAME} or {@code Padding.VALID}
   * @param strideW horizontal stride
   * @param strideH vertical stride
   * @param filterW window width
   * @param filterH window height
   * @param activation the fused {@code ActivationFunctionType}
   */
  record Pool2D(byte padding, int strideW, int strideH, int filterW, int filterH, byte activation)
      implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.Pool2DOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return Pool2DOptions.createPool2DOptions(
          b, padding, strideW, strideH, filterW, filterH, activation);
    }
  }

  /**
   * ADD.
   *
   * @param activation the fused {@code ActivationFunctionType}
   */
  record Add(byte activation) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.AddOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return AddOptions.createAddOptions(b, activation, false);
    }
  }

  /**
   * SUB.
   *
   * @param activation the fused {@code ActivationFunctionType}
   */
  record Sub(byte activation) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.SubOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return SubOptions.createSubOptions(b, activation, false);
    }
  }

  /**
   * MUL.
   *
   * @param activation the fused {@code ActivationFunctionType}
   */
  record Mul(byte activation) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.MulOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return MulOptions.createMulOptions(b, activation);
    }
  }

  /**
   * CONCATENATION.
   *
   * @param axis the axis in the TFLite (NHWC) layout
   * @param activation the fused {@code ActivationFunctionType}
   */
  record Concatenation(int axis, byte activation) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.ConcatenationOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return ConcatenationOptions.createConcatenationOptions(b, axis, activation);
    }
  }

  /**
   * RESHAPE.
   *
   * @param newShape the target shape (also given as the second input)
   */
  record Reshape(int[] newShape) implements OpOptions {
    public Reshape {
      newShape = newShape.clone();
    }

    @Override
    public int[] newShape() {
      return newShape.clone();
    }

    @Override
    public byte type() {
      return BuiltinOptions.ReshapeOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      int v = ReshapeOptions.createNewShapeVector(b, newShape);
      return ReshapeOptions.createReshapeOptions(b, v);
    }
  }

  /**
   * SOFTMAX.
   *
   * @param beta the inverse temperature
   */
  record Softmax(float beta) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.SoftmaxOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return SoftmaxOptions.createSoftmaxOptions(b, beta);
    }
  }

  /** PAD (the paddings are the second input). */
  record Pad() implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.PadOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      PadOptions.startPadOptions(b);
      return PadOptions.endPadOptions(b);
    }
  }

  /**
   * MEAN (the axes are the second input).
   *
   * @param keepDims whether reduced dimensions stay as size 1
   */
  record Reducer(boolean keepDims) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.ReducerOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return ReducerOptions.createReducerOptions(b, keepDims);
    }
  }

  /**
   * RESIZE_BILINEAR.
   *
   * @param alignCorners whether corner pixels are aligned
   * @param halfPixelCenters whether pixel centres are at half-integer coordinates
   */
  record ResizeBilinear(boolean alignCorners, boolean halfPixelCenters) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.ResizeBilinearOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return ResizeBilinearOptions.createResizeBilinearOptions(b, alignCorners, halfPixelCenters);
    }
  }

  /**
   * RESIZE_NEAREST_NEIGHBOR.
   *
   * @param alignCorners whether corner pixels are aligned
   * @param halfPixelCenters whether pixel centres are at half-integer coordinates
   */
  record ResizeNearest(boolean alignCorners, boolean halfPixelCenters) implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.ResizeNearestNeighborOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      return ResizeNearestNeighborOptions.createResizeNearestNeighborOptions(
          b, alignCorners, halfPixelCenters);
    }
  }

  /**
   * Options of a type edgeopt does not decode, as read from someone else's file: kept so the
   * model can be inspected, never written back.
   *
   * @param type the schema {@link BuiltinOptions} union type code
   */
  record Unread(byte type) implements OpOptions {
    @Override
    public int write(FlatBufferBuilder b) {
      throw new IllegalStateException(
          "options of type "
              + BuiltinOptions.name(type)
              + " were read from a file without being decoded and cannot be written back");
    }
  }

  /** QUANTIZE (also used to requantize int8 to int8 and to convert between int8 and uint8). */
  record Quantize() implements OpOptions {
    @Override
    public byte type() {
      return BuiltinOptions.QuantizeOptions;
    }

    @Override
    public int write(FlatBufferBuilder b) {
      QuantizeOptions.startQuantizeOptions(b);
      return QuantizeOptions.endQuantizeOptions(b);
    }
  }
}
