package org.edgeopt.validate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Runs the per-layer diagnosis: the reference and the candidate with every compared intermediate
 * exposed as an output, and the {@link IsolationGraph} of the candidate's reduced-precision layers
 * fed with the reference's tensors, on a few holdout batches with ONNX Runtime's graph
 * optimizations off (so every tensor is computed exactly as the graph says).
 */
final class LayerDiagnoser {
  private static final Set<org.edgeopt.core.graph.DataType> FLOATS =
      Set.of(
          org.edgeopt.core.graph.DataType.FLOAT,
          org.edgeopt.core.graph.DataType.FLOAT16,
          org.edgeopt.core.graph.DataType.DOUBLE);

  /** Bytes of exposed intermediates one diagnosis batch may hold (reference, candidate, isolated). */
  private static final long EXPOSED_BYTES = 256L << 20;

  private LayerDiagnoser() {}

  /** Returns the diagnosis, or a skipped one saying why it could not run; never fails the validation. */
  static LayerDiagnosis diagnose(
      Path reference,
      Path candidate,
      Dataset data,
      int batchSize,
      int batches,
      int threads,
      ProgressListener progress) {
    if (batches == 0) {
      return LayerDiagnosis.skipped("no diagnosis batches were asked for");
    }
    if (!isOnnx(reference) || !isOnnx(candidate)) {
      return LayerDiagnosis.skipped(
          "per-layer diagnosis compares ONNX graphs; "
              + (isOnnx(reference)
                  ? "the candidate " + candidate.getFileName()
                  : "the reference " + reference.getFileName())
              + " is not an ONNX model");
    }
    try {
      return run(reference, candidate, data, batchSize, batches, threads, progress);
    } catch (EdgeoptException | RuntimeException e) {
      // The diagnosis explains a result; it must never turn a finished comparison into an error.
      String why = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
      return LayerDiagnosis.skipped("the diagnosis graphs could not run: " + why);
    }
  }

  private static boolean isOnnx(Path p) {
    return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
  }

  private static LayerDiagnosis run(
      Path referencePath,
      Path candidatePath,
      Dataset data,
      int batchSize,
      int batches,
      int threads,
      ProgressListener progress)
      throws EdgeoptException {
    Graph ref = OnnxModels.read(referencePath);
    Graph cand = OnnxModels.read(candidatePath);
    LayerMatcher matcher = new LayerMatcher(ref, cand);
    Map<String, TensorType> refTypes = types(ref, referencePath);
    Map<String, TensorType> candTypes = types(cand, candidatePath);
    List<LayerMatcher.Match> layers = new ArrayList<>();
    for (LayerMatcher.Match m : matcher.matches()) {
      TensorType rt = refTypes.get(m.referenceTensor());
      TensorType ct = candTypes.get(m.candidateTensor());
      if (rt != null
          && ct != null
          && FLOATS.contains(rt.dataType())
          && FLOATS.contains(ct.dataType())) {
        layers.add(m);
      }
    }
    if (layers.isEmpty()) {
      return LayerDiagnosis.skipped(
          "no layer of the candidate matches a float tensor of the reference by node name, "
              + "output name or operator order");
    }
    IsolationGraph iso =
        IsolationGraph.build(
            matcher,
            layers.stream().filter(LayerMatcher.Match::reducedPrecision).toList(),
            refTypes,
            candTypes);

    Set<String> refOutputs = new LinkedHashSet<>();
    layers.forEach(m -> refOutputs.add(m.referenceTensor()));
    refOutputs.addAll(iso.inputs().values());
    Set<String> candOutputs = new LinkedHashSet<>();
    layers.forEach(m -> candOutputs.add(m.candidateTensor()));

    SessionOptions opts =
        SessionOptions.defaults()
            .withThreads(threads)
            .withOptimization(SessionOptions.Optimization.NONE);
    Map<LayerMatcher.Match, ErrorAccumulator> whole = new LinkedHashMap<>();
    Map<LayerMatcher.Match, ErrorAccumulator> alone = new LinkedHashMap<>();
    layers.forEach(m -> whole.put(m, new ErrorAccumulator()));
    Set<LayerMatcher.Match> incomparable = new LinkedHashSet<>();
    int samples = 0;
    try (InferenceSession rs = OrtRuntime.get().open(expose(ref, refOutputs, refTypes), opts);
        InferenceSession cs = OrtRuntime.get().open(expose(cand, candOutputs, candTypes), opts);
        InferenceSession is =
            iso.graph().isPresent() ? OrtRuntime.get().open(iso.graph().get(), opts) : null) {
      int wanted =
          Math.max(
              1,
              Math.min(
                  batchSize,
                  (int)
                      (EXPOSED_BYTES
                          / bytesPerSample(refOutputs, candOutputs, refTypes, candTypes))));
      int bs =
          ModelFeeds.batchSize(wanted, rs, cs, referencePath.toString(), candidatePath.toString());
      // Batches are counted at the requested size, so a model fixed at batch 1 (or a large model
      // run in smaller batches) still sees as many samples.
      int limit = (int) Math.min(Integer.MAX_VALUE, (long) batchSize * batches);
      progress.start("Per-layer diagnosis", Math.min(limit, data.size()));
      Iterator<Batch> it = data.batches(bs, limit);
      while (it.hasNext()) {
        Batch b = it.next();
        Map<String, Tensor> r = rs.run(ModelFeeds.feed(rs, b.input()), List.copyOf(refOutputs));
        Map<String, Tensor> c = cs.run(ModelFeeds.feed(cs, b.input()), List.copyOf(candOutputs));
        Map<String, Tensor> isolated = Map.of();
        if (is != null) {
          Map<String, Tensor> feed = new HashMap<>();
          iso.inputs().forEach((name, refValue) -> feed.put(name, r.get(refValue).withName(name)));
          isolated = is.run(feed);
        }
        for (LayerMatcher.Match m : layers) {
          Tensor rt = r.get(m.referenceTensor());
          Tensor ct = c.get(m.candidateTensor());
          if (rt == null || ct == null || rt.elementCount() != ct.elementCount()) {
            incomparable.add(m);
            continue;
          }
          float[] rv = rt.toFloats();
          whole.get(m).add(rv, ct.toFloats());
          Optional<String> io = iso.output(m);
          if (io.isPresent()
              && isolated.get(io.get()) != null
              && isolated.get(io.get()).elementCount() == rv.length) {
            alone
                .computeIfAbsent(m, k -> new ErrorAccumulator())
                .add(rv, isolated.get(io.get()).toFloats());
          }
        }
        samples += b.size();
        progress.advance(b.size());
      }
    } finally {
      progress.finish();
    }
    layers.removeAll(incomparable);
    return summarize(matcher, layers, whole, alone, samples, incomparable.size());
  }

  private static LayerDiagnosis summarize(
      LayerMatcher matcher,
      List<LayerMatcher.Match> layers,
      Map<LayerMatcher.Match, ErrorAccumulator> whole,
      Map<LayerMatcher.Match, ErrorAccumulator> alone,
      int samples,
      int incomparable) {
    Map<String, Double> sqnrByCandidateTensor = new HashMap<>();
    // Keyed by the raw output too: a consumer with its own dequantize node reaches the layer
    // through it.
    layers.forEach(
        m -> {
          sqnrByCandidateTensor.put(m.candidateTensor(), whole.get(m).sqnrDb());
          sqnrByCandidateTensor.put(m.candidate().output(), whole.get(m).sqnrDb());
        });
    List<LayerDiagnosis.LayerError> rows = new ArrayList<>();
    int position = 0;
    for (LayerMatcher.Match m : layers) {
      position++;
      ErrorAccumulator w = whole.get(m);
      double inSqnr = inputSqnr(matcher, m.candidate(), sqnrByCandidateTensor);
      ErrorAccumulator a = alone.get(m);
      double added = a != null ? a.sqnrDb() : DriftMetrics.addedSqnrDb(w.sqnrDb(), inSqnr);
      rows.add(
          new LayerDiagnosis.LayerError(
              0,
              position,
              m.candidate().name(),
              m.candidate().opType(),
              m.referenceTensor(),
              m.candidateTensor(),
              m.matchedBy(),
              m.reducedPrecision(),
              w.sqnrDb(),
              inSqnr,
              added,
              a != null ? "isolated" : "estimated",
              w.cosine(),
              w.maxAbs(),
              w.count()));
    }
    // Layers that actually run in reduced precision come first: they are what --exclude can change.
    rows.sort(
        Comparator.comparing((LayerDiagnosis.LayerError e) -> !e.reducedPrecision())
            .thenComparingDouble(LayerDiagnosis.LayerError::addedSqnrDb)
            .thenComparingDouble(LayerDiagnosis.LayerError::sqnrDb));
    List<LayerDiagnosis.LayerError> ranked = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      LayerDiagnosis.LayerError e = rows.get(i);
      ranked.add(
          new LayerDiagnosis.LayerError(
              i + 1,
              e.position(),
              e.node(),
              e.opType(),
              e.referenceTensor(),
              e.candidateTensor(),
              e.matchedBy(),
              e.reducedPrecision(),
              e.sqnrDb(),
              e.inputSqnrDb(),
              e.addedSqnrDb(),
              e.addedBy(),
              e.cosine(),
              e.maxAbsError(),
              e.elements()));
    }
    Map<String, Long> by = new LinkedHashMap<>();
    layers.forEach(m -> by.merge(m.matchedBy(), 1L, Long::sum));
    String how =
        layers.size()
            + " layers matched ("
            + by.entrySet().stream()
                .map(e -> e.getValue() + " by " + e.getKey())
                .reduce((x, y) -> x + ", " + y)
                .orElse("")
            + ")"
            + (incomparable > 0
                ? "; " + incomparable + " left out because their shapes differ from the reference"
                : "");
    Optional<LayerDiagnosis.LayerError> worst =
        ranked.stream().filter(LayerDiagnosis.LayerError::reducedPrecision).findFirst();
    String exclude = worst.map(LayerDiagnosis.LayerError::node).orElse(null);
    return new LayerDiagnosis(
        LayerDiagnosis.RAN, how, samples, ranked, exclude, advice(ranked, worst));
  }

  private static String advice(
      List<LayerDiagnosis.LayerError> ranked, Optional<LayerDiagnosis.LayerError> worst) {
    if (worst.isEmpty()) {
      return "no layer of the candidate runs in reduced precision, so no layer needs excluding";
    }
    LayerDiagnosis.LayerError w = worst.get();
    Optional<LayerDiagnosis.LayerError> next =
        ranked.stream().filter(e -> e.reducedPrecision() && e != w).findFirst();
    String tail =
        next.map(
                n ->
                    String.format(
                        Locale.ROOT,
                        " (next: %s '%s' at %.1f dB)",
                        n.opType(),
                        n.node(),
                        n.addedSqnrDb()))
            .orElse("");
    if (w.addedSqnrDb() >= LayerDiagnosis.HEALTHY_SQNR_DB) {
      return String.format(
          Locale.ROOT,
          "exclude %s '%s' first if accuracy must improve: it adds the most error, "
              + "though it keeps %.1f dB on its own%s; no layer is below %.0f dB",
          w.opType(),
          w.node(),
          w.addedSqnrDb(),
          tail,
          LayerDiagnosis.HEALTHY_SQNR_DB);
    }
    return String.format(
        Locale.ROOT,
        "exclude %s '%s' first: on its own it brings the SQNR down to %.1f dB%s; "
            + "in the whole candidate its output is at %.1f dB",
        w.opType(),
        w.node(),
        w.addedSqnrDb(),
        tail,
        w.sqnrDb());
  }

  /** Returns the lowest whole-candidate SQNR among the activations the node reads ({@code MAX} for graph inputs). */
  private static double inputSqnr(
      LayerMatcher matcher, Node node, Map<String, Double> sqnrByCandidateTensor) {
    double min = DriftMetrics.MAX_SQNR_DB;
    List<String> pending = new ArrayList<>(node.inputs());
    Set<String> seen = new LinkedHashSet<>();
    while (!pending.isEmpty()) {
      String v = pending.remove(pending.size() - 1);
      if (v.isEmpty() || !seen.add(v) || matcher.candidate().initializers().containsKey(v)) {
        continue;
      }
      Double s = sqnrByCandidateTensor.get(v);
      if (s != null) {
        min = Math.min(min, s);
        continue;
      }
      Optional<Node> p = matcher.candidateProducer(v);
      if (p.isPresent() && LayerMatcher.isPlumbing(p.get(), matcher.candidate())) {
        pending.addAll(p.get().inputs());
      }
    }
    return min;
  }

  /**
   * Estimates the bytes one sample's exposed tensors take in the three graphs, from the inferred
   * shapes (unknown dimensions other than the batch count as 1).
   */
  private static long bytesPerSample(
      Set<String> refOutputs,
      Set<String> candOutputs,
      Map<String, TensorType> refTypes,
      Map<String, TensorType> candTypes) {
    long elements = 0;
    for (String v : refOutputs) {
      elements += 2 * perSample(refTypes.get(v));
    }
    for (String v : candOutputs) {
      elements += perSample(candTypes.get(v));
    }
    return Math.max(1, elements * Float.BYTES);
  }

  private static long perSample(TensorType t) {
    if (t == null || t.shape() == null) {
      return 1;
    }
    long n = 1;
    long[] dims = t.shape().sizes();
    for (int i = 1; i < dims.length; i++) {
      n *= Math.max(1, dims[i]);
    }
    return n;
  }

  /** Returns the graph with {@code values} added to its outputs (those not already there). */
  private static Graph expose(Graph g, Set<String> values, Map<String, TensorType> types) {
    var b = g.toBuilder();
    Set<String> present = new LinkedHashSet<>();
    g.outputs().forEach(v -> present.add(v.name()));
    for (String v : values) {
      if (present.add(v)) {
        b.addOutput(new Value(v, new TensorType(types.get(v).dataType(), null)));
      }
    }
    return b.build();
  }

  /** Returns the known types of every value, running ONNX shape inference first. */
  private static Map<String, TensorType> types(Graph g, Path where) throws EdgeoptException {
    return OnnxModels.knownTypes(OnnxChecker.inferShapes(g, where.toString()));
  }
}
