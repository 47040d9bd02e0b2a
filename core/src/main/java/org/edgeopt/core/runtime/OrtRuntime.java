package org.edgeopt.core.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.onnx.OnnxModels;

/** Runs ONNX models with ONNX Runtime on the CPU. */
public final class OrtRuntime implements InferenceRuntime {
  private static final OrtRuntime INSTANCE = new OrtRuntime();

  /** ONNX Runtime's switch from the saturating U8S8 to the exact U8U8 kernels on x86 without VNNI. */
  static final String EXACT_INT8_CONFIG_KEY = "session.x64quantprecision";

  /**
   * Whether ONNX Runtime's own log lines reach stderr. Off by default: they carry ANSI colour codes
   * and come before edgeopt's one-line error, which says the same thing in edgeopt's terms; the
   * command line turns them on with {@code -v} (or {@code -Dedgeopt.ort.log=true}).
   */
  private static volatile boolean nativeLog = Boolean.getBoolean("edgeopt.ort.log");

  private static volatile OrtEnvironment environment;

  private OrtRuntime() {}

  /** Shows ONNX Runtime's native log (warnings and errors) on stderr, or keeps it quiet (fatal only). */
  public static void showNativeLog(boolean show) {
    nativeLog = show;
  }

  /** Returns whether ONNX Runtime's native log is shown. */
  public static boolean nativeLogShown() {
    return nativeLog;
  }

  /**
   * Returns the process's ONNX Runtime environment, created at the native log level chosen when
   * it is first needed; sessions set their own level again (see {@link #applyLogLevel}), so a later
   * change of mind still takes effect.
   */
  public static OrtEnvironment environment() {
    OrtEnvironment env = environment;
    if (env == null) {
      synchronized (OrtRuntime.class) {
        env = environment;
        if (env == null) {
          // Asking for another level once the environment exists makes ONNX Runtime print a
          // warning of its own, so the level is given once, here, and never again.
          env = OrtEnvironment.getEnvironment(level(), "edgeopt");
          environment = env;
        }
      }
    }
    return env;
  }

  /** Sets a session's native log level to the one chosen (see {@link #showNativeLog}). */
  public static void applyLogLevel(OrtSession.SessionOptions so) throws OrtException {
    so.setSessionLogLevel(level());
  }

  private static OrtLoggingLevel level() {
    return nativeLog
        ? OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING
        : OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
  }

  /** Returns the shared instance. */
  public static OrtRuntime get() {
    return INSTANCE;
  }

  @Override
  public String name() {
    return "onnxruntime-" + environment().getVersion();
  }

  @Override
  public InferenceSession open(Graph graph, SessionOptions options) throws EdgeoptException {
    Graph g =
        rewritesWeights(options) && UnsignedWeights.applies(graph)
            ? UnsignedWeights.apply(graph)
            : graph;
    return open(OnnxModels.toBytes(g), null, options, "graph '" + graph.name() + "'");
  }

  @Override
  public InferenceSession open(Path model, SessionOptions options) throws EdgeoptException {
    if (!Files.isRegularFile(model)) {
      throw EdgeoptException.invalid(model + ": model file not found");
    }
    if (rewritesWeights(options)) {
      Graph g = OnnxModels.read(model);
      if (UnsignedWeights.applies(g)) {
        return open(OnnxModels.toBytes(UnsignedWeights.apply(g)), null, options, model.toString());
      }
    }
    return open(null, model, options, model.toString());
  }

  /**
   * Returns whether exact INT8 arithmetic needs edgeopt's own uint8 weight rewrite: on a host
   * whose kernels saturate pairs, below the extended level, where ONNX Runtime's does not run.
   */
  private static boolean rewritesWeights(SessionOptions options) {
    return options.int8Arithmetic() == SessionOptions.Int8Arithmetic.EXACT
        && (options.optimization() == SessionOptions.Optimization.NONE
            || options.optimization() == SessionOptions.Optimization.BASIC)
        && HostCpu.current().int8Kernel().saturatesPairs();
  }

  private static InferenceSession open(
      byte[] bytes, Path file, SessionOptions options, String where) throws EdgeoptException {
    OrtEnvironment env = environment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      applyLogLevel(so);
      if (options.threads() > 0) {
        so.setIntraOpNumThreads(options.threads());
        so.setInterOpNumThreads(1);
      }
      so.setOptimizationLevel(
          switch (options.optimization()) {
            case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
          });
      if (options.optimizedModelPath() != null) {
        so.setOptimizedModelFilePath(options.optimizedModelPath().toString());
      }
      if (options.int8Arithmetic() == SessionOptions.Int8Arithmetic.EXACT) {
        // ONNX Runtime then rewrites int8 weights to uint8 and runs its U8U8 kernels, which widen
        // to
        // int16 before multiplying: exact, as VNNI computes. It applies this only on x86 hosts.
        so.addConfigEntry(EXACT_INT8_CONFIG_KEY, "1");
      }
      OrtSession s =
          bytes != null ? env.createSession(bytes, so) : env.createSession(file.toString(), so);
      try {
        return new OrtInferenceSession(env, s, where);
      } catch (EdgeoptException | RuntimeException e) {
        s.close();
        throw e;
      }
    } catch (OrtException e) {
      throw EdgeoptException.invalid(
          where + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
  }

  static OnnxJavaType javaType(DataType t) {
    return switch (t) {
      case FLOAT -> OnnxJavaType.FLOAT;
      case DOUBLE -> OnnxJavaType.DOUBLE;
      case INT8 -> OnnxJavaType.INT8;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT16 -> OnnxJavaType.INT16;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      case BOOL -> OnnxJavaType.BOOL;
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case BFLOAT16 -> OnnxJavaType.BFLOAT16;
      default ->
          throw new IllegalArgumentException(
              "ONNX Runtime input of type " + t + " is not supported");
    };
  }

  static DataType dataType(OnnxJavaType t) {
    return switch (t) {
      case FLOAT -> DataType.FLOAT;
      case DOUBLE -> DataType.DOUBLE;
      case INT8 -> DataType.INT8;
      case UINT8 -> DataType.UINT8;
      case INT16 -> DataType.INT16;
      case INT32 -> DataType.INT32;
      case INT64 -> DataType.INT64;
      case BOOL -> DataType.BOOL;
      case FLOAT16 -> DataType.FLOAT16;
      case BFLOAT16 -> DataType.BFLOAT16;
      default ->
          throw new IllegalArgumentException(
              "ONNX Runtime output of type " + t + " is not supported");
    };
  }

  /** One ONNX Runtime session. */
  private static final class OrtInferenceSession implements InferenceSession {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String where;
    private final Map<String, TensorType> inputTypes = new LinkedHashMap<>();

    /** Input buffers not in use; as many as inputs fed at once, across threads. */
    private final java.util.concurrent.ConcurrentLinkedQueue<PooledBuffer> freeInputBuffers =
        new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * A pooled input buffer, compared by identity: {@code ByteBuffer.equals} compares contents,
     * so removing a buffer from the pool by itself could take out another one that holds the
     * same bytes and leave this one free for a second run at the same time.
     */
    private static final class PooledBuffer {
      final ByteBuffer buffer;

      PooledBuffer(ByteBuffer buffer) {
        this.buffer = buffer;
      }
    }

    OrtInferenceSession(OrtEnvironment env, OrtSession session, String where)
        throws OrtException, EdgeoptException {
      this.env = env;
      this.session = session;
      this.where = where;
      for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
        if (e.getValue().getInfo() instanceof TensorInfo ti) {
          inputTypes.put(
              e.getKey(), TensorType.of(numeric(ti.type, "input", e.getKey()), ti.getShape()));
        }
      }
    }

    /** Maps a tensor's element type, refusing the ones edgeopt cannot compare (strings) in one line. */
    private DataType numeric(OnnxJavaType t, String what, String name) throws EdgeoptException {
      try {
        return dataType(t);
      } catch (IllegalArgumentException e) {
        throw EdgeoptException.invalid(
            where
                + ": "
                + what
                + " '"
                + name
                + "' holds "
                + t.name().toLowerCase(java.util.Locale.ROOT)
                + " values: expected a numeric tensor (float, integer or bool)");
      }
    }

    @Override
    public List<String> inputNames() {
      return List.copyOf(inputTypes.keySet());
    }

    @Override
    public List<String> outputNames() {
      try {
        return List.copyOf(session.getOutputInfo().keySet());
      } catch (OrtException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Map<String, TensorType> inputTypes() {
      return java.util.Collections.unmodifiableMap(inputTypes);
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputs)
        throws EdgeoptException {
      Map<String, OnnxTensor> feed = new LinkedHashMap<>();
      List<PooledBuffer> taken = new ArrayList<>();
      try {
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
          TensorType expected = inputTypes.get(e.getKey());
          Tensor t = e.getValue();
          if (expected == null) {
            throw EdgeoptException.invalid(
                where
                    + ": the model has no input named '"
                    + e.getKey()
                    + "' (inputs: "
                    + inputTypes.keySet()
                    + ")");
          }
          checkShape(e.getKey(), expected, t);
          PooledBuffer pooled = inputBuffer((int) t.byteSize());
          taken.add(pooled);
          ByteBuffer direct = pooled.buffer;
          direct.put(t.data()).flip();
          feed.put(
              e.getKey(), OnnxTensor.createTensor(env, direct, t.dims(), javaType(t.dataType())));
        }
        try (OrtSession.Result r = session.run(feed, new java.util.LinkedHashSet<>(outputs))) {
          Map<String, Tensor> out = new LinkedHashMap<>();
          for (Map.Entry<String, OnnxValue> e : r) {
            if (!(e.getValue() instanceof OnnxTensor ot)) {
              throw EdgeoptException.invalid(
                  where + ": output '" + e.getKey() + "' is not a tensor");
            }
            TensorInfo info = ot.getInfo();
            DataType type = numeric(info.type, "output", e.getKey());
            ByteBuffer b = ot.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            out.put(e.getKey(), new Tensor(e.getKey(), type, info.getShape(), b));
          }
          return out;
        }
      } catch (OrtException e) {
        throw EdgeoptException.invalid(
            where + ": ONNX Runtime failed to run the model: " + e.getMessage(), e);
      } finally {
        feed.values().forEach(OnnxTensor::close);
        freeInputBuffers.addAll(taken);
      }
    }

    /**
     * Returns a pooled direct buffer of at least {@code bytes} bytes for an input, cleared and limited
     * to {@code bytes}: reused across runs, as allocating and zeroing a fresh direct buffer per run
     * (600 KB for a 224x224 image) cost a tenth of SqueezeNet's INT8 inference, and direct
     * memory is only freed by the garbage collector. Thread-safe: a buffer is in one run at a time.
     */
    private PooledBuffer inputBuffer(int bytes) {
      for (java.util.Iterator<PooledBuffer> it = freeInputBuffers.iterator(); it.hasNext(); ) {
        PooledBuffer b = it.next();
        if (b.buffer.capacity() >= bytes && freeInputBuffers.remove(b)) {
          b.buffer.clear().limit(bytes);
          return b;
        }
      }
      return new PooledBuffer(ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder()));
    }

    private void checkShape(String name, TensorType expected, Tensor t) throws EdgeoptException {
      long[] want = expected.shape().sizes();
      long[] got = t.dims();
      boolean ok = want.length == got.length && expected.dataType() == t.dataType();
      for (int i = 0; ok && i < want.length; i++) {
        ok = want[i] < 0 || want[i] == got[i];
      }
      if (!ok) {
        throw EdgeoptException.invalid(
            where
                + ": input '"
                + name
                + "' expects "
                + expected
                + ", found "
                + t.dataType().name().toLowerCase(java.util.Locale.ROOT)
                + java.util.Arrays.toString(got));
      }
    }

    @Override
    public void close() {
      try {
        session.close();
      } catch (OrtException e) {
        throw new IllegalStateException("closing an ONNX Runtime session failed", e);
      }
    }
  }
}
