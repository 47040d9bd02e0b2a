package org.edgeopt.compile.tflite;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteTensor;
import org.bytedeco.tensorflowlite.global.tensorflowlite;
import org.edgeopt.core.EdgeoptException;

/**
 * The real TensorFlow Lite 2.18 interpreter (through the bytedeco preset) on raw tensor bytes.
 *
 * <p>Runs TFLite's builtin kernels without the default XNNPACK delegate: those are the integer
 * kernels whose arithmetic the Edge TPU compiler takes as the model's meaning, and the kernels a
 * device runs for any operator left on its CPU.
 *
 * <p>The model bytes, the {@link FlatBufferModel}, the op resolver and the interpreter are all
 * held by this object until {@link #close()}: the interpreter reads the model's buffers in
 * place, and a collected model would crash the JVM.
 */
public final class TfliteInterpreter implements AutoCloseable {

  /**
   * One input or output tensor as the interpreter sees it.
   *
   * @param name the tensor name
   * @param type the TFLite type code ({@code kTfLiteInt8}, {@code kTfLiteUInt8}, {@code kTfLiteFloat32}...)
   * @param dims the dimensions
   * @param bytes the size of the data in bytes
   * @param scale the per-tensor quantization scale (0 when not quantized)
   * @param zeroPoint the per-tensor zero point
   */
  public record TensorInfo(
      String name, int type, int[] dims, long bytes, float scale, int zeroPoint) {
    public TensorInfo {
      dims = dims.clone();
    }

    @Override
    public int[] dims() {
      return dims.clone();
    }

    /** Returns whether the tensor holds int8 or uint8 quantized values. */
    public boolean quantized() {
      return scale > 0
          && (type == tensorflowlite.kTfLiteInt8 || type == tensorflowlite.kTfLiteUInt8);
    }

    /** Returns the type name, e.g. {@code INT8}. */
    public String typeName() {
      return tensorflowlite.TfLiteTypeGetName(type).getString();
    }
  }

  private final BytePointer buffer;
  private final FlatBufferModel model;
  private final BuiltinOpResolverWithoutDefaultDelegates resolver;
  private final InterpreterBuilder builder;
  private final Interpreter interpreter;
  private final String where;
  private boolean closed;

  private TfliteInterpreter(byte[] bytes, String where, int threads) throws EdgeoptException {
    this.where = where;
    this.buffer = new BytePointer(bytes.length);
    buffer.put(bytes);
    this.model = FlatBufferModel.VerifyAndBuildFromBuffer(buffer, bytes.length);
    if (model == null || model.isNull()) {
      buffer.close();
      throw EdgeoptException.invalid(
          where + ": TFLite cannot load the model (the flatbuffer verifier rejects it)");
    }
    this.resolver = new BuiltinOpResolverWithoutDefaultDelegates();
    this.builder = new InterpreterBuilder(model, resolver);
    if (threads > 0) {
      builder.SetNumThreads(threads);
    }
    this.interpreter = new Interpreter((Pointer) null);
    int rc = builder.apply(interpreter);
    if (rc != tensorflowlite.kTfLiteOk || interpreter.isNull()) {
      releaseAll();
      throw EdgeoptException.invalid(
          where
              + ": TFLite cannot build an interpreter for the model (an operator or"
              + " version its kernels do not support; see the TFLite log above)");
    }
    if (interpreter.AllocateTensors() != tensorflowlite.kTfLiteOk) {
      releaseAll();
      throw EdgeoptException.invalid(
          where
              + ": TFLite cannot allocate the model's tensors (a kernel rejected"
              + " its shapes or quantization parameters; see the TFLite log above)");
    }
  }

  /**
   * Loads a model into a new interpreter.
   *
   * @param where names the model in error messages
   * @param threads the interpreter's threads, 0 for its default
   */
  public static TfliteInterpreter open(byte[] model, String where, int threads)
      throws EdgeoptException {
    return new TfliteInterpreter(model, where, threads);
  }

  /** Returns the input tensors. */
  public java.util.List<TensorInfo> inputs() {
    java.util.List<TensorInfo> l = new java.util.ArrayList<>();
    for (int i = 0; i < (int) interpreterInputs(); i++) {
      l.add(info(interpreter.input_tensor(i)));
    }
    return l;
  }

  /** Returns the output tensors. */
  public java.util.List<TensorInfo> outputs() {
    java.util.List<TensorInfo> l = new java.util.ArrayList<>();
    for (int i = 0; i < (int) interpreterOutputs(); i++) {
      l.add(info(interpreter.output_tensor(i)));
    }
    return l;
  }

  // The vectors come back as pointers whose capacity is the vector's size.
  private long interpreterInputs() {
    return interpreter.inputs().capacity();
  }

  private long interpreterOutputs() {
    return interpreter.outputs().capacity();
  }

  private static TensorInfo info(TfLiteTensor t) {
    TfLiteIntArray d = t.dims();
    int[] dims = new int[d.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = d.data(i);
    }
    String name = t.name() == null || t.name().isNull() ? "" : t.name().getString();
    return new TensorInfo(
        name, t.type(), dims, t.bytes(), t.params().scale(), t.params().zero_point());
  }

  /** Copies raw little-endian bytes into input {@code i}. */
  public void setInput(int i, byte[] data) throws EdgeoptException {
    TfLiteTensor t = interpreter.input_tensor(i);
    if (data.length != t.bytes()) {
      throw EdgeoptException.invalid(
          where + ": input " + i + " takes " + t.bytes() + " bytes, given " + data.length);
    }
    t.data().raw().capacity(data.length).put(data);
  }

  /** Runs the model once. */
  public void invoke() throws EdgeoptException {
    if (interpreter.Invoke() != tensorflowlite.kTfLiteOk) {
      throw EdgeoptException.invalid(
          where + ": TFLite failed to run the model (see the TFLite log above)");
    }
  }

  /** Returns a copy of the raw bytes of output {@code i}. */
  public byte[] output(int i) {
    TfLiteTensor t = interpreter.output_tensor(i);
    byte[] out = new byte[(int) t.bytes()];
    t.data().raw().capacity(out.length).get(out);
    return out;
  }

  private void releaseAll() {
    interpreter.close();
    builder.close();
    resolver.close();
    model.close();
    buffer.close();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      releaseAll();
    }
  }
}
