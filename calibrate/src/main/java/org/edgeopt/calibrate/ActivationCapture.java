package org.edgeopt.calibrate;

import ai.onnxruntime.OrtSession;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.DataException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;

/**
 * Captures activation statistics by running the model in ONNX Runtime with every tensor to
 * calibrate made a graph output (as ONNX Runtime's own calibrator does), one batch at a time.
 *
 * <p>Only the current batch's activations are ever held: each is folded into its tensor's
 * {@link TensorStatistics} and dropped, so memory does not grow with the number of samples.
 */
final class ActivationCapture {
  private ActivationCapture() {}

  /**
   * Returns the tensors to calibrate, in graph order: the graph input, then every float tensor
   * that a node reads or writes, leaving out weights (initializers, {@code Constant} outputs and
   * anything computed from weights alone, such as a reshaped weight matrix) and tensors whose
   * inferred type is not float32.
   */
  static List<String> tensorsToCalibrate(Graph typed) {
    Set<String> constants = new HashSet<>(typed.initializers().keySet());
    Set<String> names = new LinkedHashSet<>();
    typed.inputs().forEach(v -> names.add(v.name()));
    for (Node n : typed.nodes()) {
      // Nodes come in topological order, so constness propagates in one pass.
      if (n.inputs().stream().allMatch(i -> i.isEmpty() || constants.contains(i))) {
        constants.addAll(n.outputs());
        continue;
      }
      for (String s : n.inputs()) {
        if (!s.isEmpty()) {
          names.add(s);
        }
      }
      for (String s : n.outputs()) {
        if (!s.isEmpty()) {
          names.add(s);
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : names) {
      Optional<TensorType> t = typed.type(s);
      if (!constants.contains(s) && (t.isEmpty() || t.get().dataType() == DataType.FLOAT)) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * A calibrated tensor whose statistics follow from another's, so it is not captured: the output
   * of a ReLU ({@link TensorStatistics#reluOutput}), or of a node that only moves values around
   * (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity: the same values, the same statistics).
   */
  record Derived(String output, String input, boolean relu) {}

  /** Ops whose output holds exactly the values of their first input. */
  private static final Set<String> VALUE_PRESERVING =
      Set.of("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity");

  /**
   * Returns the tensors among {@code tensors} whose statistics are derived from another calibrated
   * tensor's instead of captured, in graph order (a derivation may read an earlier one's output).
   * On mnist-7 the two ReLU outputs are 30% of all captured values, and a histogram costs about
   * 4 ns per value on the statistics thread, the slower of the two.
   */
  static List<Derived> derivedTensors(Graph typed, List<String> tensors) {
    Set<String> calibrated = new HashSet<>(tensors);
    List<Derived> out = new ArrayList<>();
    for (Node n : typed.nodes()) {
      boolean standard = n.domain().isEmpty() || n.domain().equals("ai.onnx");
      if (!standard
          || n.inputs().isEmpty()
          || n.outputs().size() != 1
          || !calibrated.contains(n.input(0))
          || !calibrated.contains(n.output())
          || typed.inputs().stream().anyMatch(v -> v.name().equals(n.output()))) {
        continue;
      }
      if (n.opType().equals("Relu")) {
        out.add(new Derived(n.output(), n.input(0), true));
      } else if (VALUE_PRESERVING.contains(n.opType())) {
        out.add(new Derived(n.output(), n.input(0), false));
      }
    }
    return out;
  }

  /** Returns the graph with every tensor in {@code tensors} that a node produces made a graph output. */
  static Graph augment(Graph typed, List<String> tensors) {
    GraphBuilder b = typed.toBuilder();
    Set<String> outputs = new HashSet<>();
    typed.outputs().forEach(v -> outputs.add(v.name()));
    Set<String> produced = typed.producers().keySet();
    for (String s : tensors) {
      if (produced.contains(s) && outputs.add(s)) {
        b.addOutput(new Value(s, typed.type(s).orElse(null)));
      }
    }
    return b.build();
  }

  /** Rejects weights that are NaN or infinite, naming the first one found. */
  static void checkWeights(Graph g, String where) throws EdgeoptException {
    for (Tensor t : g.initializers().values()) {
      if (!t.dataType().isFloat()) {
        continue;
      }
      float[] v = t.toFloats();
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          throw EdgeoptException.invalid(
              where
                  + ": weight '"
                  + t.name()
                  + "' holds "
                  + v[i]
                  + " at element "
                  + i
                  + " of "
                  + v.length
                  + ": expected finite numbers; the model file is corrupt or was exported from a diverged training run");
        }
      }
    }
  }

  /** Runs the model over the data and returns the statistics of every calibrated tensor. */
  static CalibrationStatistics collect(
      Graph graph,
      Dataset data,
      CalibrationConfig cfg,
      CalibrationProgress progress,
      MessageDigest digest,
      String where)
      throws EdgeoptException {
    return collect(
        graph, data, cfg, progress, digest, where, OrtSession.SessionOptions.OptLevel.ALL_OPT);
  }

  /**
   * As above, at a given ONNX Runtime optimization level. All levels keep every captured tensor:
   * ONNX Runtime never fuses away a node whose output is a graph output, so the full level only
   * makes the capture faster (on mnist-7 the augmented graph ran about as fast as the plain one
   * at the full level, about 1.5x slower at the basic level); a test checks that the statistics
   * match an unoptimized run.
   */
  static CalibrationStatistics collect(
      Graph graph,
      Dataset data,
      CalibrationConfig cfg,
      CalibrationProgress progress,
      MessageDigest digest,
      String where,
      OrtSession.SessionOptions.OptLevel level)
      throws EdgeoptException {
    return collect(graph, data, cfg, progress, digest, where, level, Tuning.DEFAULT);
  }

  /**
   * How the capture works, where tests compare the alternatives, which must give the same statistics.
   *
   * @param groupValues batches below this many values are grouped (see {@link StatisticsFolder})
   * @param deriveStatistics whether the statistics of {@link #derivedTensors} are derived, not captured
   * @param balancing who folds a batch when the statistics thread is behind
   */
  record Tuning(int groupValues, boolean deriveStatistics, StatisticsFolder.Balancing balancing) {
    static final Tuning DEFAULT =
        new Tuning(StatisticsFolder.GROUP_VALUES, true, StatisticsFolder.Balancing.WHEN_BEHIND);
  }

  /** As above, tuned. */
  static CalibrationStatistics collect(
      Graph graph,
      Dataset data,
      CalibrationConfig cfg,
      CalibrationProgress progress,
      MessageDigest digest,
      String where,
      OrtSession.SessionOptions.OptLevel level,
      Tuning tuning)
      throws EdgeoptException {
    checkWeights(graph, where);
    if (graph.inputs().size() != 1) {
      throw EdgeoptException.invalid(
          where
              + ": expected a model with one input to feed the data to, found "
              + graph.inputs().size()
              + " "
              + graph.inputs().stream().map(Value::name).toList());
    }
    Graph typed = inferTypes(graph, where);
    Value input = typed.inputs().get(0);
    checkInput(input, data, where);
    List<String> tensors = tensorsToCalibrate(typed);
    Map<String, TensorStatistics> stats = new LinkedHashMap<>();
    for (String t : tensors) {
      stats.put(
          t,
          cfg.collectsHistogram()
              ? TensorStatistics.withHistogram(t)
              : TensorStatistics.minMaxOnly(t));
    }
    List<Derived> derived =
        new ArrayList<>(tuning.deriveStatistics() ? derivedTensors(typed, tensors) : List.of());
    List<String> fetch = new ArrayList<>(tensors);
    fetch.remove(input.name());
    derived.forEach(d -> fetch.remove(d.output()));
    if (fetch.isEmpty() && !derived.isEmpty()) {
      // ONNX Runtime refuses a run that fetches nothing (a model of one Reshape or ReLU): capture
      // the last derived tensor instead; no derivation reads it.
      fetch.add(derived.remove(derived.size() - 1).output());
    }
    Graph augmented = augment(typed, fetch);
    long total = Math.min((long) data.size(), cfg.samples());
    long seen = 0;
    // Statistics are folded on their own thread while ONNX Runtime runs the next batches, so by
    // default the session leaves one core to it.
    int threads =
        cfg.threads() > 0
            ? cfg.threads()
            : Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    try (PinnedCaptureSession session =
            new PinnedCaptureSession(
                OnnxModels.toBytes(augmented), input.name(), fetch, threads, level, where);
        StatisticsFolder folder =
            new StatisticsFolder(
                stats,
                input.name(),
                data,
                where,
                progress,
                total,
                tuning.groupValues(),
                tuning.balancing())) {
      int batchSize = session.fixedBatch() > 0 ? session.fixedBatch() : cfg.batchSize();
      Iterator<Batch> it = data.batches(batchSize, (int) total);
      while (it.hasNext()) {
        Batch b = it.next();
        Tensor in = b.input().withName(input.name());
        if (digest != null) {
          digest.update(in.data());
        }
        folder.accept(in, b.size(), session.run(in));
        seen += b.size();
      }
      folder.finish();
      // Tensors ONNX Runtime turned out not to compute as float32 were never fetched.
      stats.keySet().removeAll(session.dropped());
      for (Derived d : derived) {
        TensorStatistics from = stats.get(d.input());
        if (from == null) {
          stats.remove(d.output());
        } else {
          stats.put(d.output(), d.relu() ? from.reluOutput(d.output()) : from.renamed(d.output()));
        }
      }
    } catch (DataException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
    if (seen == 0) {
      throw EdgeoptException.invalid(
          data.describe() + ": expected at least one sample to calibrate on, found none");
    }
    return new CalibrationStatistics(stats, seen);
  }

  /** Returns the error for a tensor that held NaN or infinite values in the given samples. */
  static EdgeoptException nonFinite(
      TensorStatistics s, String samples, Dataset data, String where) {
    return EdgeoptException.invalid(
        where
            + ": tensor '"
            + s.name()
            + "' holds NaN or infinite values for samples "
            + samples
            + " of "
            + data.describe()
            + ": expected finite activations; check the data and its preprocessing");
  }

  private static Graph inferTypes(Graph graph, String where) {
    try {
      return OnnxChecker.inferShapes(graph, where);
    } catch (EdgeoptException e) {
      // Shape inference is only needed to skip non-float tensors early; ONNX Runtime tells the
      // types of the rest on the first batch, so a model it cannot infer still calibrates.
      return graph;
    }
  }

  /** Checks that the data's samples have the shape and type the model input expects. */
  private static void checkInput(Value input, Dataset data, String where) throws EdgeoptException {
    if (!input.hasType() || input.type().shape() == null) {
      return;
    }
    TensorType t = input.type();
    if (t.dataType() != DataType.FLOAT) {
      throw EdgeoptException.invalid(
          where
              + ": input '"
              + input.name()
              + "' is "
              + t.dataType().name().toLowerCase(Locale.ROOT)
              + ", expected float32: convert the model to FP32 first (edgeopt ingest)");
    }
    Shape want = t.shape();
    long[] got = data.sampleShape();
    boolean ok = want.rank() == got.length + 1;
    for (int i = 1; ok && i < want.rank(); i++) {
      ok = want.size(i) < 0 || want.size(i) == got[i - 1];
    }
    if (!ok) {
      throw EdgeoptException.invalid(
          data.describe()
              + ": samples are "
              + Arrays.toString(got)
              + " after preprocessing, but input '"
              + input.name()
              + "' of "
              + where
              + " expects "
              + want
              + " (batch first): adjust --preprocess (resize, crop, channels, layout)");
    }
  }
}
