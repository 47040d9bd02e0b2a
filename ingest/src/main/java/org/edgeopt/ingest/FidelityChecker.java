package org.edgeopt.ingest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.cost.LayerCosts;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Runs a TorchScript export and an ONNX graph on the same seeded inputs and measures how far
 * their outputs differ: the export-fidelity check of {@code ingest --reference}.
 *
 * <p>Inputs are standard Gaussian (what normalised image inputs look like), shaped as the ONNX
 * inputs declare with batch sizes 1 to 4 for a symbolic batch. Outputs are paired by position.
 */
public final class FidelityChecker {
  /** The seed of the random inputs, fixed so that cards are reproducible. */
  public static final long SEED = 20_261_128L;

  private FidelityChecker() {}

  /**
   * Compares {@code graph} (run by ONNX Runtime) with the TorchScript model {@code reference},
   * run by the runtime {@link Runtimes#forModel} finds for it (PyTorch, when {@code
   * edgeopt-runtime-torchscript} is on the class path or in a plug-in folder).
   *
   * @param where names the ONNX model in error messages
   * @throws EdgeoptException (exit 3) when an input is not a float tensor with a usable shape, the
   *     reference does not load or run, or the two models' outputs do not pair up
   */
  public static FidelityCheck check(Graph graph, Path reference, String where)
      throws EdgeoptException {
    List<Value> inputs = graph.inputs();
    List<String> names = inputs.stream().map(Value::name).toList();
    for (Value v : inputs) {
      if (!v.hasType() || v.type().dataType() != DataType.FLOAT || v.type().shape() == null) {
        throw EdgeoptException.invalid(
            where
                + ": input '"
                + v.name()
                + "': the fidelity check needs a float input"
                + " with a known shape, found "
                + (v.hasType() ? v.type() : "no type"));
      }
      Shape s = v.type().shape();
      for (int i = 1; i < s.rank(); i++) {
        if (s.size(i) < 0) {
          throw EdgeoptException.invalid(
              where
                  + ": input '"
                  + v.name()
                  + "' has shape "
                  + s
                  + ": the fidelity check needs every dimension but the batch to be known");
        }
      }
    }
    List<Integer> batches = batchSizes(inputs);
    Random random = new Random(SEED);
    SessionOptions opts = SessionOptions.defaults().withThreads(1);
    double dot = 0;
    double refNorm = 0;
    double onnxNorm = 0;
    double maxDiff = 0;
    double refMax = 0;
    long elements = 0;
    try (InferenceSession onnx = OrtRuntime.get().open(graph, opts);
        InferenceSession torch = Runtimes.forModel(reference, names).open(reference, opts)) {
      for (int batch : batches) {
        Map<String, Tensor> feed = new LinkedHashMap<>();
        for (Value v : inputs) {
          feed.put(v.name(), gaussian(v, batch, random));
        }
        List<Tensor> expected = new ArrayList<>(torch.run(feed).values());
        List<Tensor> actual = new ArrayList<>(onnx.run(feed).values());
        if (expected.size() != actual.size()) {
          throw EdgeoptException.invalid(
              reference
                  + ": the TorchScript model returns "
                  + expected.size()
                  + " outputs, the ONNX model "
                  + where
                  + " returns "
                  + actual.size());
        }
        for (int o = 0; o < expected.size(); o++) {
          float[] e = expected.get(o).toFloats();
          float[] a = actual.get(o).toFloats();
          if (e.length != a.length) {
            throw EdgeoptException.invalid(
                reference
                    + ": output "
                    + o
                    + " has shape "
                    + Arrays.toString(expected.get(o).dims())
                    + " in TorchScript but '"
                    + actual.get(o).name()
                    + "' has "
                    + Arrays.toString(actual.get(o).dims())
                    + " in "
                    + where
                    + " (batch "
                    + batch
                    + ")");
          }
          for (int i = 0; i < e.length; i++) {
            dot += (double) e[i] * a[i];
            refNorm += (double) e[i] * e[i];
            onnxNorm += (double) a[i] * a[i];
            maxDiff = Math.max(maxDiff, Math.abs((double) e[i] - a[i]));
            refMax = Math.max(refMax, Math.abs(e[i]));
          }
          elements += e.length;
        }
      }
    }
    double cosine =
        refNorm == 0 || onnxNorm == 0
            ? (refNorm == onnxNorm ? 1 : 0)
            : dot / Math.sqrt(refNorm * onnxNorm);
    double tol = FidelityCheck.DEFAULT_TOLERANCE;
    return new FidelityCheck(
        reference.toString(),
        "normalised",
        SEED,
        batches,
        elements,
        maxDiff,
        cosine,
        refMax,
        tol,
        maxDiff <= tol * Math.max(1, refMax));
  }

  private static List<Integer> batchSizes(List<Value> inputs) {
    for (Value v : inputs) {
      Shape s = v.type().shape();
      if (s.rank() > 0 && s.size(0) >= 0) {
        // A fixed batch (mnist-7 takes exactly one) is the only size the model runs.
        return List.of((int) s.size(0));
      }
    }
    return List.of(1, 2, 3, 4);
  }

  private static Tensor gaussian(Value v, int batch, Random random) {
    long[] dims = v.type().shape().sizes();
    if (dims.length > 0) {
      dims[0] = batch;
    }
    int n = Math.toIntExact(LayerCosts.product(dims, 0));
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) random.nextGaussian();
    }
    return Tensor.ofFloats(v.name(), dims, f);
  }
}
