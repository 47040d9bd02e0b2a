package org.edgeopt.runtime.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.runtime.InferenceRuntime;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Runs TorchScript ({@code .pt}) models through DJL's PyTorch engine: the FP32 reference that
 * an ONNX export is compared with.
 *
 * <p>TorchScript inputs are positional: the session names them {@code input0}, {@code input1}
 * and so on unless input names are given, and its outputs {@code output0}, ... The PyTorch
 * native library is bundled in the build ({@code pytorch-native-cpu}), so nothing is
 * downloaded.
 */
public final class TorchScriptRuntime implements InferenceRuntime {
  private final List<String> inputNames;

  /** Creates a runtime whose sessions call their inputs by the given names, in order. */
  public TorchScriptRuntime(List<String> inputNames) {
    this.inputNames = List.copyOf(inputNames);
  }

  /** Creates a runtime for a single-input model. */
  public TorchScriptRuntime() {
    this(List.of("input0"));
  }

  @Override
  public String name() {
    return "torchscript-djl";
  }

  @Override
  public InferenceSession open(Graph graph, SessionOptions options) {
    throw new IllegalArgumentException("the TorchScript runtime runs .pt files, not ONNX graphs");
  }

  @Override
  public InferenceSession open(Path model, SessionOptions options) throws EdgeoptException {
    if (!Files.isRegularFile(model)) {
      throw EdgeoptException.invalid(model + ": TorchScript file not found");
    }
    // Never reach for the network: the native library comes from the classpath.
    System.setProperty("ai.djl.offline", "true");
    if (options.threads() > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    Model m = Model.newInstance("reference", Device.cpu(), "PyTorch");
    try {
      Path abs = model.toAbsolutePath();
      String fileName = abs.getFileName().toString();
      m.load(
          abs.getParent(),
          fileName.endsWith(".pt") ? fileName.substring(0, fileName.length() - 3) : fileName);
      return new TorchSession(m, inputNames, model.toString());
    } catch (IOException | MalformedModelException | RuntimeException e) {
      m.close();
      throw EdgeoptException.invalid(
          model + ": PyTorch cannot load the TorchScript model: " + e.getMessage(), e);
    }
  }

  /** One loaded TorchScript model. */
  private static final class TorchSession implements InferenceSession {
    private final Model model;
    private final Predictor<NDList, NDList> predictor;
    private final List<String> inputNames;
    private final String where;

    TorchSession(Model model, List<String> inputNames, String where) {
      this.model = model;
      this.predictor = model.newPredictor(new NoopTranslator());
      this.inputNames = inputNames;
      this.where = where;
    }

    @Override
    public List<String> inputNames() {
      return inputNames;
    }

    @Override
    public List<String> outputNames() {
      return List.of("output0");
    }

    @Override
    public Map<String, TensorType> inputTypes() {
      return Map.of();
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, List<String> outputs)
        throws EdgeoptException {
      try (NDManager mgr = model.getNDManager().newSubManager()) {
        NDList in = new NDList();
        for (String name : inputNames) {
          Tensor t = inputs.get(name);
          if (t == null) {
            throw EdgeoptException.invalid(
                where + ": missing input '" + name + "' (given: " + inputs.keySet() + ")");
          }
          if (t.dataType() != DataType.FLOAT) {
            throw EdgeoptException.invalid(
                where + ": input '" + name + "' must be float32, found " + t.dataType());
          }
          in.add(mgr.create(t.toFloats(), new Shape(t.dims())));
        }
        NDList out = predictor.predict(in);
        Map<String, Tensor> result = new LinkedHashMap<>();
        List<NDArray> arrays = new ArrayList<>(out);
        for (int i = 0; i < arrays.size(); i++) {
          NDArray a = arrays.get(i).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
          float[] f = a.toFloatArray();
          ByteBuffer b = ByteBuffer.allocateDirect(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
          b.asFloatBuffer().put(f);
          String name = "output" + i;
          result.put(name, new Tensor(name, DataType.FLOAT, a.getShape().getShape(), b));
        }
        return result;
      } catch (TranslateException | RuntimeException e) {
        throw EdgeoptException.invalid(
            where + ": the TorchScript model failed to run: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      predictor.close();
      model.close();
    }
  }
}
