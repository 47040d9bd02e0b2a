package org.edgeopt.core.graph;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operators of the default ONNX domain that edgeopt knows, with the arity and attributes
 * it checks whenever a node is built.
 *
 * <p>Operators of other domains (e.g. {@code com.microsoft}) are accepted unchecked: they are
 * the runtime's business. An unknown operator of the default domain is rejected, because no
 * runtime will run it either.
 */
public final class OperatorRegistry {
  private static final int M = OpSchema.MANY;
  private static final Map<String, OpSchema> SCHEMAS = new HashMap<>();

  // Every operator name of the default ONNX domain up to opset 23, including deprecated ones
  // that old exports still carry. Those without a detailed schema below accept any arity.
  private static final Set<String> ALL_ONNX_OPS =
      Set.of(
          ("Abs Acos Acosh Add Affine AffineGrid And ArgMax ArgMin Asin Asinh Atan Atanh Attention"
                  + " AveragePool BatchNormalization Bernoulli BitShift BitwiseAnd BitwiseNot BitwiseOr"
                  + " BitwiseXor BlackmanWindow Cast CastLike Ceil Celu CenterCropPad Clip Col2Im Compress"
                  + " Concat ConcatFromSequence Constant ConstantOfShape Conv ConvInteger ConvTranspose Cos"
                  + " Cosh Crop CumSum DFT DeformConv DepthToSpace DequantizeLinear Det Div Dropout"
                  + " DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor GRU"
                  + " GRUUnit Gather GatherElements GatherND Gelu Gemm GivenTensorFill GlobalAveragePool"
                  + " GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample GroupNormalization"
                  + " HammingWindow HannWindow HardSigmoid HardSwish Hardmax Identity If ImageDecoder"
                  + " ImageScaler InstanceNormalization IsInf IsNaN LRN LSTM LayerNormalization LeakyRelu"
                  + " Less LessOrEqual Log LogSoftmax Loop LpNormalization LpPool MatMul MatMulInteger Max"
                  + " MaxPool MaxRoiPool MaxUnpool Mean MeanVarianceNormalization MelWeightMatrix Min Mish"
                  + " Mod Mul Multinomial Neg NegativeLogLikelihoodLoss NonMaxSuppression NonZero Not"
                  + " OneHot Optional OptionalGetElement OptionalHasElement Or PRelu Pad"
                  + " ParametricSoftplus Pow QLinearConv QLinearMatMul QuantizeLinear RMSNormalization RNN"
                  + " RandomNormal RandomNormalLike RandomUniform RandomUniformLike Range Reciprocal"
                  + " ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin"
                  + " ReduceProd ReduceSum ReduceSumSquare RegexFullMatch Relu Reshape Resize"
                  + " ReverseSequence RoiAlign RotaryEmbedding Round STFT Scale ScaledTanh Scan Scatter"
                  + " ScatterElements ScatterND Selu SequenceAt SequenceConstruct SequenceEmpty"
                  + " SequenceErase SequenceInsert SequenceLength SequenceMap Shape Shrink Sigmoid Sign Sin"
                  + " Sinh Size Slice Softmax SoftmaxCrossEntropyLoss Softplus Softsign SpaceToDepth Split"
                  + " SplitToSequence Sqrt Squeeze StringConcat StringNormalizer StringSplit Sub Sum Swish"
                  + " Tan Tanh TensorScatter TfIdfVectorizer ThresholdedRelu Tile TopK Transpose Trilu"
                  + " Unique Unsqueeze Upsample Where Xor")
              .split(" "));

  static {
    for (String unary :
        ("Abs Acos Acosh Asin Asinh Atan Atanh Ceil Cos Cosh Elu Erf Exp Floor"
                + " HardSigmoid HardSwish Identity LeakyRelu Log Neg Not Reciprocal Relu Round Selu"
                + " Sigmoid Sign Sin Sinh Softplus Softsign Sqrt Tan Tanh Softmax LogSoftmax Transpose"
                + " GlobalAveragePool GlobalMaxPool Flatten Shape Size IsNaN Gelu Mish")
            .split(" ")) {
      define(unary, 1, 1, 1, 1);
    }
    for (String binary :
        "Add Sub Mul Div Pow Equal Greater Less And Or Xor MatMul PRelu Mod".split(" ")) {
      define(binary, 2, 2, 1, 1);
    }
    define("Conv", 2, 3, 1, 1);
    define("ConvTranspose", 2, 3, 1, 1);
    define("Gemm", 2, 3, 1, 1);
    define("BatchNormalization", 5, 5, 1, 3);
    define("MaxPool", 1, 1, 1, 2, "kernel_shape");
    define("AveragePool", 1, 1, 1, 1, "kernel_shape");
    define("Clip", 1, 3, 1, 1);
    define("Reshape", 1, 2, 1, 1);
    define("Concat", 1, M, 1, 1, "axis");
    define("Dropout", 1, 3, 1, 2);
    define("QuantizeLinear", 2, 3, 1, 1);
    define("DequantizeLinear", 2, 3, 1, 1);
    define("Pad", 1, 4, 1, 1);
    define("Resize", 1, 4, 1, 1);
    define("Upsample", 1, 2, 1, 1);
    define("Squeeze", 1, 2, 1, 1);
    define("Unsqueeze", 1, 2, 1, 1);
    define("Cast", 1, 1, 1, 1, "to");
    define("Constant", 0, 0, 1, 1);
    define("Gather", 2, 2, 1, 1);
    define("Slice", 1, 5, 1, 1);
    define("Split", 1, 2, 1, M);
    define("Sum", 1, M, 1, 1);
    define("Max", 1, M, 1, 1);
    define("Min", 1, M, 1, 1);
    define("Mean", 1, M, 1, 1);
    define("DepthToSpace", 1, 1, 1, 1, "blocksize");
    define("SpaceToDepth", 1, 1, 1, 1, "blocksize");
    define("LRN", 1, 1, 1, 1, "size");
    define("ReduceMean", 1, 2, 1, 1);
    define("ReduceSum", 1, 2, 1, 1);
    define("Where", 3, 3, 1, 1);
    define("Expand", 2, 2, 1, 1);
    define("Tile", 2, 2, 1, 1);
    define("QLinearConv", 8, 9, 1, 1);
    define("QLinearMatMul", 8, 8, 1, 1);
  }

  private OperatorRegistry() {}

  private static void define(
      String op, int minIn, int maxIn, int minOut, int maxOut, String... attrs) {
    SCHEMAS.put(op, new OpSchema(op, minIn, maxIn, minOut, maxOut, Set.of(attrs)));
  }

  /** Returns whether {@code opType} is an operator of the default ONNX domain. */
  public static boolean isKnown(String opType) {
    return ALL_ONNX_OPS.contains(opType);
  }

  /** Returns the detailed schema of a default-domain operator, if edgeopt has one. */
  public static Optional<OpSchema> schema(String opType) {
    return Optional.ofNullable(SCHEMAS.get(opType));
  }

  /**
   * Checks one node; returns an error message naming the node, or null when it is well formed.
   */
  public static String check(Node node) {
    if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
      return null;
    }
    if (!isKnown(node.opType())) {
      return node.describe()
          + ": unknown operator '"
          + node.opType()
          + "' in the default ONNX domain";
    }
    OpSchema s = SCHEMAS.get(node.opType());
    if (s == null) {
      return null;
    }
    if (node.opType().equals("Constant") && node.attributes().isEmpty()) {
      return node.describe() + ": a Constant needs a value attribute";
    }
    return s.check(node);
  }
}
