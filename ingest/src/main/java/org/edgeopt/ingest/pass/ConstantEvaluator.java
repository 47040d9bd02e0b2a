package org.edgeopt.ingest.pass;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.ModelInfo;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Computes the outputs of a node whose inputs are all known tensors.
 *
 * <p>{@code Constant}, {@code Shape}, {@code Reshape}, {@code Squeeze}, {@code Unsqueeze} and
 * simple {@code Cast}s are computed here (they only move or relabel data); every other operator
 * is run by ONNX Runtime on a one-node graph with the inputs as initializers, so folding uses the
 * same kernels as inference would.
 */
final class ConstantEvaluator {
  private final ModelInfo info;

  /** Creates an evaluator for nodes of a model with the given opsets. */
  ConstantEvaluator(ModelInfo info) {
    this.info = info;
  }

  /**
   * Returns the node's outputs, in output order, or empty when it cannot be evaluated here (an
   * unsupported {@code Constant} attribute, or ONNX Runtime refusing the one-node graph).
   *
   * @param inputs the node's inputs by name (omitted optional inputs are absent)
   * @param inputShape for {@code Shape}: the static shape of its input; otherwise null
   */
  Optional<List<Tensor>> evaluate(Node n, Map<String, Tensor> inputs, Shape inputShape) {
    String out = n.output();
    return switch (n.opType()) {
      case "Constant" -> constant(n).map(t -> List.of(t.withName(out)));
      case "Shape" ->
          inputShape == null ? Optional.empty() : Optional.of(List.of(shape(n, inputShape)));
      case "Reshape" -> Optional.of(List.of(reshape(n, inputs)));
      case "Unsqueeze" -> Optional.of(List.of(unsqueeze(n, inputs)));
      case "Squeeze" -> Optional.of(List.of(squeeze(n, inputs)));
      case "Cast" -> cast(n, inputs.get(n.input(0))).or(() -> withRuntime(n, inputs));
      default -> withRuntime(n, inputs);
    };
  }

  static Optional<Tensor> constant(Node n) {
    if (n.attributes().size() != 1) {
      return Optional.empty();
    }
    Attribute a = n.attributes().values().iterator().next();
    String name = n.output();
    return switch (a.name()) {
      case "value" -> Optional.of(a.asTensor().withName(name));
      case "value_float" -> Optional.of(Tensor.scalar(name, a.asFloat()));
      case "value_floats" -> {
        float[] f = a.asFloats();
        yield Optional.of(Tensor.ofFloats(name, new long[] {f.length}, f));
      }
      case "value_int" -> Optional.of(Tensor.ofLongs(name, new long[0], new long[] {a.asLong()}));
      case "value_ints" -> {
        long[] l = a.asLongs();
        yield Optional.of(Tensor.ofLongs(name, new long[] {l.length}, l));
      }
      default -> Optional.empty();
    };
  }

  private static Tensor shape(Node n, Shape s) {
    long[] dims = s.sizes();
    int rank = dims.length;
    int start = (int) clampAxis(n.intAttr("start", 0), rank);
    int end = (int) clampAxis(n.intAttr("end", rank), rank);
    long[] v = end > start ? Arrays.copyOfRange(dims, start, end) : new long[0];
    return Tensor.ofLongs(n.output(), new long[] {v.length}, v);
  }

  private static long clampAxis(long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    return Math.max(0, Math.min(rank, a));
  }

  private static Tensor reshape(Node n, Map<String, Tensor> in) {
    Tensor data = in.get(n.input(0));
    long[] target = in.get(n.input(1)).toLongs();
    long[] dims = data.dims();
    boolean allowZero = n.intAttr("allowzero", 0) != 0;
    long known = 1;
    int infer = -1;
    long[] out = new long[target.length];
    for (int i = 0; i < target.length; i++) {
      long d = target[i];
      if (d == 0 && !allowZero) {
        d = i < dims.length ? dims[i] : 0;
      }
      if (d == -1) {
        infer = i;
      } else {
        known *= d;
      }
      out[i] = d;
    }
    if (infer >= 0) {
      out[infer] = known == 0 ? 0 : data.elementCount() / known;
    }
    return reshaped(n, data, out);
  }

  private static Tensor unsqueeze(Node n, Map<String, Tensor> in) {
    Tensor data = in.get(n.input(0));
    long[] axes = axes(n, in);
    int rank = data.rank() + axes.length;
    boolean[] inserted = new boolean[rank];
    for (long a : axes) {
      inserted[(int) (a < 0 ? a + rank : a)] = true;
    }
    long[] out = new long[rank];
    int src = 0;
    for (int i = 0; i < rank; i++) {
      out[i] = inserted[i] ? 1 : data.dim(src++);
    }
    return reshaped(n, data, out);
  }

  private static Tensor squeeze(Node n, Map<String, Tensor> in) {
    Tensor data = in.get(n.input(0));
    long[] axes = axes(n, in);
    int rank = data.rank();
    boolean[] drop = new boolean[rank];
    for (long a : axes) {
      drop[(int) (a < 0 ? a + rank : a)] = true;
    }
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      boolean squeeze = axes.length == 0 ? data.dim(i) == 1 : drop[i];
      if (!squeeze) {
        out.add(data.dim(i));
      }
    }
    return reshaped(n, data, out.stream().mapToLong(Long::longValue).toArray());
  }

  private static long[] axes(Node n, Map<String, Tensor> in) {
    if (!n.input(1).isEmpty()) {
      return in.get(n.input(1)).toLongs();
    }
    return n.intsAttr("axes", new long[0]);
  }

  private static Tensor reshaped(Node n, Tensor data, long[] dims) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (count != data.elementCount()) {
      throw new IllegalArgumentException(
          n.describe()
              + ": cannot give "
              + data.elementCount()
              + " elements the shape "
              + Arrays.toString(dims));
    }
    return new Tensor(n.output(), data.dataType(), dims, data.data());
  }

  private static Optional<List<Tensor>> cast(Node n, Tensor in) {
    DataType from = in.dataType();
    long to = n.intAttr("to", 0);
    boolean numericSource =
        from == DataType.FLOAT
            || from == DataType.FLOAT16
            || from == DataType.INT32
            || from == DataType.INT64;
    if (!numericSource) {
      return Optional.empty();
    }
    String name = n.output();
    if (to == DataType.FLOAT.onnxCode()) {
      return Optional.of(List.of(Tensor.ofFloats(name, in.dims(), in.toFloats())));
    }
    if (to == DataType.INT64.onnxCode() && !from.isFloat()) {
      return Optional.of(List.of(Tensor.ofLongs(name, in.dims(), in.toLongs())));
    }
    if (to == DataType.INT32.onnxCode() && !from.isFloat()) {
      long[] l = in.toLongs();
      int[] v = new int[l.length];
      for (int i = 0; i < l.length; i++) {
        v[i] = (int) l[i];
      }
      return Optional.of(List.of(Tensor.ofInts(name, in.dims(), v)));
    }
    return Optional.empty();
  }

  private Optional<List<Tensor>> withRuntime(Node n, Map<String, Tensor> inputs) {
    GraphBuilder b =
        new GraphBuilder("fold_" + n.name(), info.opset())
            .info(
                new ModelInfo(
                    Math.max(7, info.irVersion()), info.opsets(), "edgeopt", "", "", Map.of()));
    inputs.values().forEach(b::addInitializer);
    b.addNode(n);
    List<String> outs = n.outputs().stream().filter(o -> !o.isEmpty()).toList();
    outs.forEach(o -> b.addOutput(new Value(o, null)));
    try (InferenceSession s =
        OrtRuntime.get()
            .open(
                b.build(),
                SessionOptions.defaults()
                    .withThreads(1)
                    .withOptimization(SessionOptions.Optimization.NONE))) {
      Map<String, Tensor> result = s.run(Map.of(), outs);
      Map<String, Tensor> ordered = new LinkedHashMap<>();
      for (String o : outs) {
        Tensor t = result.get(o);
        if (t == null) {
          return Optional.empty();
        }
        ordered.put(o, t);
      }
      return Optional.of(List.copyOf(ordered.values()));
    } catch (EdgeoptException | RuntimeException e) {
      // The node stays in the graph; the runtime will compute it at inference instead.
      return Optional.empty();
    }
  }
}
