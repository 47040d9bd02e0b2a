package org.edgeopt.calibrate;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Tensor;

/**
 * An ONNX Runtime session over the augmented graph that writes every fetched activation into
 * direct buffers it owns and reuses ("pinned outputs").
 *
 * <p>There are two sets of buffers per batch size, used by alternate runs, so the activations of
 * one batch can be read on another thread while the next batch runs: what {@link #run} returns
 * stays valid until the run after the next one.
 *
 * <p>Why not {@link org.edgeopt.core.runtime.InferenceSession}: a model with a dozen captured
 * tensors and a fixed batch of one (mnist-7) spent most of its calibration time allocating,
 * wrapping and copying those outputs, about twice its inference time. With pinned outputs ONNX
 * Runtime writes into the same memory every batch and nothing is allocated per batch. The first
 * batch of each size runs the ordinary way, to learn the output shapes and types.
 */
final class PinnedCaptureSession implements AutoCloseable {
  /** The most buffer sets kept: two per batch size, and a data set has at most two sizes. */
  private static final int MAX_PINNED_SETS = 8;

  private final OrtEnvironment env = org.edgeopt.core.runtime.OrtRuntime.environment();
  private final OrtSession session;
  private final String inputName;
  private final List<String> fetch;
  private final String where;
  private final Map<Long, Pins> pins = new HashMap<>();
  private final java.util.Set<String> dropped = new LinkedHashSet<>();
  private final int fixedBatch;
  private long runs;

  /** The input and output buffers for one batch size. */
  private static final class Pins {
    FloatBuffer input;
    OnnxTensor inputTensor;
    final Map<String, OnnxTensor> outputs = new LinkedHashMap<>();
    final Map<String, ByteBuffer> bytes = new LinkedHashMap<>();
  }

  PinnedCaptureSession(
      byte[] model,
      String inputName,
      List<String> fetch,
      int threads,
      OrtSession.SessionOptions.OptLevel level,
      String where)
      throws EdgeoptException {
    this.inputName = inputName;
    this.fetch = new ArrayList<>(fetch);
    this.where = where;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      org.edgeopt.core.runtime.OrtRuntime.applyLogLevel(so);
      if (threads > 0) {
        so.setIntraOpNumThreads(threads);
        so.setInterOpNumThreads(1);
      }
      so.setOptimizationLevel(level);
      session = env.createSession(model, so);
      NodeInfo info = session.getInputInfo().get(inputName);
      long first =
          info != null && info.getInfo() instanceof TensorInfo ti && ti.getShape().length > 0
              ? ti.getShape()[0]
              : -1;
      fixedBatch = first > 0 ? (int) first : 0;
    } catch (OrtException e) {
      throw EdgeoptException.invalid(
          where + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
  }

  /** Returns the batch size the model's input fixes, or 0 when it is dynamic. */
  int fixedBatch() {
    return fixedBatch;
  }

  /** Returns the names found not to be float32 tensors so far: they are no longer fetched. */
  java.util.Set<String> dropped() {
    return java.util.Set.copyOf(dropped);
  }

  /**
   * Runs one batch and returns the bits of every fetched float32 tensor by name, in fetch order,
   * each positioned at 0. The buffers are valid until the run after the next one.
   */
  Map<String, IntBuffer> run(Tensor input) throws EdgeoptException {
    long[] dims = input.dims();
    long size = dims.length == 0 ? 1 : dims[0];
    long key = 2 * size + (runs++ & 1);
    Pins p = pins.get(key);
    try {
      if (p == null) {
        p = new Pins();
        int n = Math.toIntExact(input.elementCount());
        p.input = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
        p.inputTensor = OnnxTensor.createTensor(env, p.input, dims);
        copyInput(p, input);
        Map<String, IntBuffer> out = firstRun(p);
        if (pins.size() < MAX_PINNED_SETS) {
          pins.put(key, p);
        } else {
          close(p);
        }
        return out;
      }
      copyInput(p, input);
      // Everything fetched is pinned: the result holds nothing to read.
      session.run(Map.of(inputName, p.inputTensor), Set.of(), p.outputs).close();
      return bits(p);
    } catch (OrtException e) {
      throw EdgeoptException.invalid(
          where + ": ONNX Runtime failed to run the model: " + e.getMessage(), e);
    }
  }

  private static void copyInput(Pins p, Tensor input) {
    p.input.clear();
    p.input.put(input.data().asFloatBuffer());
    p.input.rewind();
  }

  /** Returns views of the bits of the pinned outputs, positioned at 0. */
  private static Map<String, IntBuffer> bits(Pins p) {
    Map<String, IntBuffer> out = new LinkedHashMap<>();
    for (Map.Entry<String, ByteBuffer> e : p.bytes.entrySet()) {
      out.put(e.getKey(), e.getValue().duplicate().order(ByteOrder.nativeOrder()).asIntBuffer());
    }
    return out;
  }

  /** Runs the ordinary way, makes pinned buffers of the outputs' shapes, and returns the outputs in them. */
  private Map<String, IntBuffer> firstRun(Pins p) throws OrtException {
    try (OrtSession.Result r =
        session.run(Map.of(inputName, p.inputTensor), new LinkedHashSet<>(fetch))) {
      Map<String, OnnxValue> byName = new HashMap<>();
      r.forEach(e -> byName.put(e.getKey(), e.getValue()));
      for (String name : List.copyOf(fetch)) {
        OnnxValue v = byName.get(name);
        if (!(v instanceof OnnxTensor t) || t.getInfo().type != OnnxJavaType.FLOAT) {
          fetch.remove(name);
          dropped.add(name);
          continue;
        }
        long[] shape = t.getInfo().getShape();
        int n = Math.toIntExact(t.getInfo().getNumElements());
        ByteBuffer bytes = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        FloatBuffer b = bytes.asFloatBuffer();
        b.put(t.getFloatBuffer());
        b.rewind();
        p.outputs.put(name, OnnxTensor.createTensor(env, b, shape));
        p.bytes.put(name, bytes);
      }
    }
    return bits(p);
  }

  private static void close(Pins p) {
    p.inputTensor.close();
    p.outputs.values().forEach(OnnxTensor::close);
  }

  @Override
  public void close() {
    pins.values().forEach(PinnedCaptureSession::close);
    pins.clear();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(where + ": closing the ONNX Runtime session failed", e);
    }
  }
}
