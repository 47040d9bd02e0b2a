package org.edgeopt.compile.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.tensorflow.lite.schema.AddOptions;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.ConcatenationOptions;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.DepthwiseConv2DOptions;
import org.tensorflow.lite.schema.FullyConnectedOptions;
import org.tensorflow.lite.schema.Metadata;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.MulOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.ReducerOptions;
import org.tensorflow.lite.schema.ReshapeOptions;
import org.tensorflow.lite.schema.ResizeBilinearOptions;
import org.tensorflow.lite.schema.ResizeNearestNeighborOptions;
import org.tensorflow.lite.schema.SoftmaxOptions;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.SubOptions;
import org.tensorflow.lite.schema.TensorType;

/**
 * Writes a {@link TfliteModel} as a TFLite flatbuffer through the generated schema classes of
 * {@code org.tensorflow:tensorflow-lite-metadata}, and reads any TFLite file back the same way.
 *
 * <p>Identical constant contents share one buffer; buffer 0 is the empty buffer, as the TFLite
 * converter writes it; constant data is 16-byte aligned so kernels may read it in place.
 */
public final class TfliteFlatbuffers {
  /** The TFLite schema version written (and the only one read). */
  public static final int SCHEMA_VERSION = 3;

  /** Opcodes at or above this value are stored only in {@code builtin_code}. */
  private static final int PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

  private TfliteFlatbuffers() {}

  /** Returns the model as flatbuffer bytes with the {@code TFL3} file identifier. */
  public static byte[] write(TfliteModel m) {
    FlatBufferBuilder b = new FlatBufferBuilder(1 << 16);

    // Buffers: 0 is empty; constant contents deduplicated by value.
    List<Integer> bufferOffsets = new ArrayList<>();
    Map<ByteBuffer, Integer> bufferIndex = new HashMap<>();
    bufferOffsets.add(emptyBuffer(b));
    int[] tensorBuffer = new int[m.tensors().size()];
    for (int i = 0; i < m.tensors().size(); i++) {
      byte[] data = m.tensor(i).data();
      if (data == null) {
        continue;
      }
      ByteBuffer key = ByteBuffer.wrap(data);
      Integer idx = bufferIndex.get(key);
      if (idx == null) {
        idx = bufferOffsets.size();
        bufferOffsets.add(dataBuffer(b, data));
        bufferIndex.put(key, idx);
      }
      tensorBuffer[i] = idx;
    }
    List<Integer> metadataOffsets = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : m.metadata().entrySet()) {
      int buf = bufferOffsets.size();
      bufferOffsets.add(dataBuffer(b, e.getValue()));
      int name = b.createString(e.getKey());
      metadataOffsets.add(Metadata.createMetadata(b, name, buf));
    }

    // Operator codes, one per (opcode, version).
    Map<Long, Integer> codeIndex = new LinkedHashMap<>();
    for (TfliteModel.Operator op : m.operators()) {
      codeIndex.putIfAbsent(((long) op.opcode() << 32) | op.version(), codeIndex.size());
    }
    int[] codeOffsets = new int[codeIndex.size()];
    for (Map.Entry<Long, Integer> e : codeIndex.entrySet()) {
      int code = (int) (e.getKey() >>> 32);
      int version = (int) (long) e.getKey();
      codeOffsets[e.getValue()] =
          OperatorCode.createOperatorCode(
              b, (byte) Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0, version, code);
    }

    int[] tensorOffsets = new int[m.tensors().size()];
    for (int i = 0; i < tensorOffsets.length; i++) {
      tensorOffsets[i] = tensor(b, m.tensor(i), tensorBuffer[i]);
    }
    int[] opOffsets = new int[m.operators().size()];
    for (int i = 0; i < opOffsets.length; i++) {
      TfliteModel.Operator op = m.operators().get(i);
      int inputs = Operator.createInputsVector(b, op.inputs());
      int outputs = Operator.createOutputsVector(b, op.outputs());
      int options = op.options().write(b);
      Operator.startOperator(b);
      Operator.addOpcodeIndex(b, codeIndex.get(((long) op.opcode() << 32) | op.version()));
      Operator.addInputs(b, inputs);
      Operator.addOutputs(b, outputs);
      if (op.options().type() != BuiltinOptions.NONE) {
        Operator.addBuiltinOptionsType(b, op.options().type());
        Operator.addBuiltinOptions(b, options);
      }
      opOffsets[i] = Operator.endOperator(b);
    }
    int sgTensors = SubGraph.createTensorsVector(b, tensorOffsets);
    int sgInputs =
        SubGraph.createInputsVector(b, m.inputs().stream().mapToInt(Integer::intValue).toArray());
    int sgOutputs =
        SubGraph.createOutputsVector(b, m.outputs().stream().mapToInt(Integer::intValue).toArray());
    int sgOps = SubGraph.createOperatorsVector(b, opOffsets);
    int sgName = b.createString(m.subgraphName());
    int subgraph = SubGraph.createSubGraph(b, sgTensors, sgInputs, sgOutputs, sgOps, sgName);

    int codes = Model.createOperatorCodesVector(b, codeOffsets);
    int subgraphs = Model.createSubgraphsVector(b, new int[] {subgraph});
    int description = b.createString(m.description());
    int buffers =
        Model.createBuffersVector(b, bufferOffsets.stream().mapToInt(Integer::intValue).toArray());
    int metadata =
        Model.createMetadataVector(
            b, metadataOffsets.stream().mapToInt(Integer::intValue).toArray());
    Model.startModel(b);
    Model.addVersion(b, SCHEMA_VERSION);
    Model.addOperatorCodes(b, codes);
    Model.addSubgraphs(b, subgraphs);
    Model.addDescription(b, description);
    Model.addBuffers(b, buffers);
    Model.addMetadata(b, metadata);
    int model = Model.endModel(b);
    Model.finishModelBuffer(b, model);
    return b.sizedByteArray();
  }

  private static int emptyBuffer(FlatBufferBuilder b) {
    org.tensorflow.lite.schema.Buffer.startBuffer(b);
    return org.tensorflow.lite.schema.Buffer.endBuffer(b);
  }

  private static int dataBuffer(FlatBufferBuilder b, byte[] data) {
    // Align the contents (not just the length prefix) to 16 bytes, as the TFLite converter does.
    b.prep(16, data.length);
    int vec = b.createByteVector(data);
    return org.tensorflow.lite.schema.Buffer.createBuffer(b, vec);
  }

  private static int tensor(FlatBufferBuilder b, TfliteModel.Tensor t, int buffer) {
    int shape = org.tensorflow.lite.schema.Tensor.createShapeVector(b, t.shape());
    int signature =
        t.shapeSignature() == null
            ? 0
            : org.tensorflow.lite.schema.Tensor.createShapeSignatureVector(b, t.shapeSignature());
    int name = b.createString(t.name());
    int quant = 0;
    if (t.quant() != null) {
      int scale = QuantizationParameters.createScaleVector(b, t.quant().scales());
      int zp = QuantizationParameters.createZeroPointVector(b, t.quant().zeroPoints());
      QuantizationParameters.startQuantizationParameters(b);
      QuantizationParameters.addScale(b, scale);
      QuantizationParameters.addZeroPoint(b, zp);
      QuantizationParameters.addQuantizedDimension(b, t.quant().quantizedDimension());
      quant = QuantizationParameters.endQuantizationParameters(b);
    }
    org.tensorflow.lite.schema.Tensor.startTensor(b);
    org.tensorflow.lite.schema.Tensor.addShape(b, shape);
    org.tensorflow.lite.schema.Tensor.addType(b, t.type());
    org.tensorflow.lite.schema.Tensor.addBuffer(b, buffer);
    org.tensorflow.lite.schema.Tensor.addName(b, name);
    if (quant != 0) {
      org.tensorflow.lite.schema.Tensor.addQuantization(b, quant);
    }
    if (signature != 0) {
      org.tensorflow.lite.schema.Tensor.addShapeSignature(b, signature);
    }
    return org.tensorflow.lite.schema.Tensor.endTensor(b);
  }

  /** Reads a TFLite file. */
  public static TfliteModel read(Path file) throws EdgeoptException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read the TFLite file: " + e.getMessage(), e);
    }
    return read(bytes, file.toString());
  }

  /**
   * Reads TFLite flatbuffer bytes back into a {@link TfliteModel} (first subgraph only).
   *
   * <p>Operator inputs get roles from what they are: a constant int32 third input of a
   * convolution or fully connected operator is a bias, other constants are weights (int8) or
   * parameters (int32/int64), the rest are activations.
   *
   * @param where names the source in error messages
   */
  public static TfliteModel read(byte[] bytes, String where) throws EdgeoptException {
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 8 || !Model.ModelBufferHasIdentifier(bb)) {
      throw EdgeoptException.invalid(
          where + ": not a TFLite model: expected the flatbuffer identifier TFL3");
    }
    try {
      Model model = Model.getRootAsModel(bb);
      if (model.version() != SCHEMA_VERSION) {
        throw EdgeoptException.invalid(
            where
                + ": expected TFLite schema version "
                + SCHEMA_VERSION
                + ", found "
                + model.version());
      }
      if (model.subgraphsLength() < 1) {
        throw EdgeoptException.invalid(where + ": the TFLite model has no subgraph");
      }
      TfliteModel m = new TfliteModel();
      m.description(model.description());
      SubGraph g = model.subgraphs(0);
      m.subgraphName(g.name());
      for (int i = 0; i < g.tensorsLength(); i++) {
        org.tensorflow.lite.schema.Tensor t = g.tensors(i);
        int[] shape = new int[t.shapeLength()];
        for (int k = 0; k < shape.length; k++) {
          shape[k] = t.shape(k);
        }
        int[] signature = null;
        if (t.shapeSignatureLength() > 0) {
          signature = new int[t.shapeSignatureLength()];
          for (int k = 0; k < signature.length; k++) {
            signature[k] = t.shapeSignature(k);
          }
        }
        byte[] data = null;
        if (t.buffer() > 0) {
          org.tensorflow.lite.schema.Buffer buf = model.buffers((int) t.buffer());
          if (buf.dataLength() > 0) {
            data = new byte[buf.dataLength()];
            buf.dataAsByteBuffer().get(data);
          }
        }
        m.addTensor(
            new TfliteModel.Tensor(
                t.name(), t.type(), shape, signature, data, quant(t.quantization())));
      }
      for (int i = 0; i < g.inputsLength(); i++) {
        m.addInput(g.inputs(i));
      }
      for (int i = 0; i < g.outputsLength(); i++) {
        m.addOutput(g.outputs(i));
      }
      for (int i = 0; i < g.operatorsLength(); i++) {
        Operator o = g.operators(i);
        OperatorCode code = model.operatorCodes((int) o.opcodeIndex());
        int opcode = Math.max(code.builtinCode(), code.deprecatedBuiltinCode());
        int[] in = new int[o.inputsLength()];
        List<TfliteModel.Role> roles = new ArrayList<>();
        for (int k = 0; k < in.length; k++) {
          in[k] = o.inputs(k);
          roles.add(roleOf(m, opcode, k, in[k]));
        }
        int[] out = new int[o.outputsLength()];
        for (int k = 0; k < out.length; k++) {
          out[k] = o.outputs(k);
        }
        m.addOperator(
            new TfliteModel.Operator(opcode, code.version(), in, roles, out, options(o), "#" + i));
      }
      for (int i = 0; i < model.metadataLength(); i++) {
        Metadata md = model.metadata(i);
        org.tensorflow.lite.schema.Buffer buf = model.buffers((int) md.buffer());
        byte[] data = new byte[buf.dataLength()];
        if (data.length > 0) {
          buf.dataAsByteBuffer().get(data);
        }
        m.putMetadata(md.name(), data);
      }
      return m;
    } catch (RuntimeException e) {
      // flatbuffers-java has no verifier: a corrupt offset surfaces as an index or argument error.
      throw EdgeoptException.invalid(where + ": the TFLite flatbuffer is corrupt: " + e, e);
    }
  }

  private static TfliteModel.Quant quant(QuantizationParameters q) {
    if (q == null || q.scaleLength() == 0) {
      return null;
    }
    float[] scales = new float[q.scaleLength()];
    long[] zps = new long[scales.length];
    for (int i = 0; i < scales.length; i++) {
      scales[i] = q.scale(i);
      zps[i] = i < q.zeroPointLength() ? q.zeroPoint(i) : 0;
    }
    return new TfliteModel.Quant(scales, zps, q.quantizedDimension());
  }

  private static TfliteModel.Role roleOf(TfliteModel m, int opcode, int position, int tensor) {
    if (tensor < 0 || !m.tensor(tensor).isConstant()) {
      return TfliteModel.Role.ACTIVATION;
    }
    byte type = m.tensor(tensor).type();
    boolean weighted =
        opcode == BuiltinOperator.CONV_2D
            || opcode == BuiltinOperator.DEPTHWISE_CONV_2D
            || opcode == BuiltinOperator.FULLY_CONNECTED
            || opcode == BuiltinOperator.TRANSPOSE_CONV;
    if (weighted && position == 2 && type == TensorType.INT32) {
      return TfliteModel.Role.BIAS;
    }
    if (type == TensorType.INT32 || type == TensorType.INT64) {
      return TfliteModel.Role.PARAMETER;
    }
    return TfliteModel.Role.WEIGHT;
  }

  private static OpOptions options(Operator o) {
    byte type = o.builtinOptionsType();
    if (type == BuiltinOptions.Conv2DOptions) {
      Conv2DOptions c = (Conv2DOptions) o.builtinOptions(new Conv2DOptions());
      return new OpOptions.Conv2D(
          c.padding(),
          c.strideW(),
          c.strideH(),
          c.fusedActivationFunction(),
          c.dilationWFactor(),
          c.dilationHFactor());
    } else if (type == BuiltinOptions.DepthwiseConv2DOptions) {
      DepthwiseConv2DOptions c =
          (DepthwiseConv2DOptions) o.builtinOptions(new DepthwiseConv2DOptions());
      return new OpOptions.DepthwiseConv2D(
          c.padding(),
          c.strideW(),
          c.strideH(),
          c.depthMultiplier(),
          c.fusedActivationFunction(),
          c.dilationWFactor(),
          c.dilationHFactor());
    } else if (type == BuiltinOptions.FullyConnectedOptions) {
      FullyConnectedOptions c =
          (FullyConnectedOptions) o.builtinOptions(new FullyConnectedOptions());
      return new OpOptions.FullyConnected(c.fusedActivationFunction());
    } else if (type == BuiltinOptions.Pool2DOptions) {
      Pool2DOptions c = (Pool2DOptions) o.builtinOptions(new Pool2DOptions());
      return new OpOptions.Pool2D(
          c.padding(),
          c.strideW(),
          c.strideH(),
          c.filterWidth(),
          c.filterHeight(),
          c.fusedActivationFunction());
    } else if (type == BuiltinOptions.AddOptions) {
      return new OpOptions.Add(
          ((AddOptions) o.builtinOptions(new AddOptions())).fusedActivationFunction());
    } else if (type == BuiltinOptions.SubOptions) {
      return new OpOptions.Sub(
          ((SubOptions) o.builtinOptions(new SubOptions())).fusedActivationFunction());
    } else if (type == BuiltinOptions.MulOptions) {
      return new OpOptions.Mul(
          ((MulOptions) o.builtinOptions(new MulOptions())).fusedActivationFunction());
    } else if (type == BuiltinOptions.ConcatenationOptions) {
      ConcatenationOptions c = (ConcatenationOptions) o.builtinOptions(new ConcatenationOptions());
      return new OpOptions.Concatenation(c.axis(), c.fusedActivationFunction());
    } else if (type == BuiltinOptions.ReshapeOptions) {
      ReshapeOptions c = (ReshapeOptions) o.builtinOptions(new ReshapeOptions());
      int[] s = new int[c.newShapeLength()];
      for (int i = 0; i < s.length; i++) {
        s[i] = c.newShape(i);
      }
      return new OpOptions.Reshape(s);
    } else if (type == BuiltinOptions.SoftmaxOptions) {
      return new OpOptions.Softmax(
          ((SoftmaxOptions) o.builtinOptions(new SoftmaxOptions())).beta());
    } else if (type == BuiltinOptions.PadOptions) {
      return new OpOptions.Pad();
    } else if (type == BuiltinOptions.ReducerOptions) {
      return new OpOptions.Reducer(
          ((ReducerOptions) o.builtinOptions(new ReducerOptions())).keepDims());
    } else if (type == BuiltinOptions.ResizeBilinearOptions) {
      ResizeBilinearOptions c =
          (ResizeBilinearOptions) o.builtinOptions(new ResizeBilinearOptions());
      return new OpOptions.ResizeBilinear(c.alignCorners(), c.halfPixelCenters());
    } else if (type == BuiltinOptions.ResizeNearestNeighborOptions) {
      ResizeNearestNeighborOptions c =
          (ResizeNearestNeighborOptions) o.builtinOptions(new ResizeNearestNeighborOptions());
      return new OpOptions.ResizeNearest(c.alignCorners(), c.halfPixelCenters());
    } else if (type == BuiltinOptions.QuantizeOptions) {
      return new OpOptions.Quantize();
    } else if (type == BuiltinOptions.NONE) {
      return new OpOptions.None();
    }
    return new OpOptions.Unread(type);
  }
}
