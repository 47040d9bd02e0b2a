package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.eval.SignalNoise;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Measures how far a quantized graph is from its FP32 reference, tensor by tensor: both graphs
 * run in ONNX Runtime on the same samples with the tensors of interest exposed as extra
 * outputs, and each tensor's signal-to-quantization-noise ratio is
 * {@code SQNR = 10 log10(sum x^2 / sum (x - xq)^2)} over all samples.
 */
public final class SqnrProbe {
  /** SQNR reported when the quantized tensor equals the reference exactly. */
  public static final double EXACT_DB = Double.POSITIVE_INFINITY;

  private SqnrProbe() {}

  /**
   * What one measurement found.
   *
   * @param tensors the signal and noise energy of each reference tensor
   * @param output the signal and noise energy over all graph outputs together; an output made by
   *     a final Softmax or LogSoftmax is measured at that node's input (the logits), where
   *     quantization noise is not squashed by the normalisation
   * @param top1Agreement the share of samples whose first output has the same argmax, or NaN
   *     when that output is not a [batch, classes] score
   * @param samples the number of samples measured
   */
  public record Measurement(
      Map<String, Energy> tensors, Energy output, double top1Agreement, int samples) {
    public Measurement {
      tensors = Map.copyOf(tensors);
    }

    /** Returns the SQNR of a reference tensor in dB, or NaN when it was not measured. */
    public double sqnrDb(String tensor) {
      Energy e = tensors.get(tensor);
      return e == null ? Double.NaN : e.sqnrDb();
    }
  }

  /**
   * The energy of a reference signal and of its quantization error.
   *
   * @param signal {@code sum x^2}
   * @param noise {@code sum (x - xq)^2}
   */
  public record Energy(double signal, double noise) {
    /** Returns {@code 10 log10(signal / noise)}; +infinity when there is no noise. */
    public double sqnrDb() {
      if (noise == 0) {
        return EXACT_DB;
      }
      return 10 * Math.log10(signal / noise);
    }

    /** Returns the noise-to-signal ratio, 0 when exact. */
    public double noiseToSignal() {
      return noise == 0 ? 0 : signal == 0 ? Double.POSITIVE_INFINITY : noise / signal;
    }

    Energy plus(double s, double n) {
      return new Energy(signal + s, noise + n);
    }
  }

  /** Returns the SQNR in dB of {@code test} against {@code reference}. */
  public static double sqnrDb(float[] reference, float[] test) {
    SignalNoise sn = SignalNoise.of(reference, test);
    return new Energy(sn.signal(), sn.noise()).sqnrDb();
  }

  /**
   * Runs both graphs on the first {@code samples} samples of {@code data} and measures the named
   * reference tensors and the graph outputs.
   *
   * @param reference the FP32 graph
   * @param quantized the quantized graph
   * @param tensors reference tensor name to the name of the quantized graph's tensor holding its value
   */
  public static Measurement measure(
      Graph reference,
      Graph quantized,
      Map<String, String> tensors,
      Dataset data,
      int samples,
      String where)
      throws EdgeoptException {
    if (reference.inputs().size() != 1) {
      throw EdgeoptException.invalid(
          where
              + ": measuring per-layer SQNR needs a model with one input, found "
              + reference.inputs().size());
    }
    List<String> outputs = reference.outputs().stream().map(v -> v.name()).toList();
    Map<String, String> scored = new LinkedHashMap<>();
    Map<String, Node> producers = reference.producers();
    for (String o : outputs) {
      String t = logitsOf(o, producers);
      scored.put(t, tensors.getOrDefault(t, t));
    }
    Map<String, String> all = new LinkedHashMap<>(tensors);
    all.putAll(scored);
    Graph ref = expose(reference, all.keySet());
    Graph q = expose(quantized, new LinkedHashSet<>(all.values()));
    String input = reference.inputs().get(0).name();
    Map<String, Energy> energy = new LinkedHashMap<>();
    Energy out = new Energy(0, 0);
    int agree = 0;
    int classified = 0;
    int seen = 0;
    boolean classifier = true;
    List<String> refNames = new ArrayList<>(new LinkedHashSet<>(concat(outputs, all.keySet())));
    List<String> qNames = new ArrayList<>(new LinkedHashSet<>(concat(outputs, all.values())));
    refNames.remove(input);
    qNames.remove(input);
    SessionOptions opts =
        SessionOptions.defaults().withOptimization(SessionOptions.Optimization.EXTENDED);
    try (InferenceSession rs = OrtRuntime.get().open(ref, opts);
        InferenceSession qs = OrtRuntime.get().open(q, opts)) {
      int bs = BatchRunner.batchSize(rs, 16);
      Iterator<Batch> it = data.batches(bs, samples);
      while (it.hasNext()) {
        Batch b = it.next();
        Tensor in = b.input().withName(input);
        Map<String, Tensor> r = rs.run(Map.of(input, in), refNames);
        Map<String, Tensor> t = qs.run(Map.of(input, in), qNames);
        seen += b.size();
        for (Map.Entry<String, String> e : tensors.entrySet()) {
          // A graph input cannot be an output too: its reference value is what was fed.
          float[] x = e.getKey().equals(input) ? in.toFloats() : r.get(e.getKey()).toFloats();
          float[] xq = e.getValue().equals(input) ? in.toFloats() : t.get(e.getValue()).toFloats();
          SignalNoise sn = energy(x, xq, e.getKey());
          energy.merge(
              e.getKey(),
              new Energy(sn.signal(), sn.noise()),
              (a, c) -> a.plus(c.signal(), c.noise()));
        }
        for (Map.Entry<String, String> e : scored.entrySet()) {
          float[] x = e.getKey().equals(input) ? in.toFloats() : r.get(e.getKey()).toFloats();
          float[] xq = e.getValue().equals(input) ? in.toFloats() : t.get(e.getValue()).toFloats();
          SignalNoise sn = energy(x, xq, e.getKey());
          out = out.plus(sn.signal(), sn.noise());
        }
        Tensor first = r.get(outputs.get(0));
        long classes =
            first.rank() == 0 || first.dim(0) == 0 ? 0 : first.elementCount() / first.dim(0);
        if (classifier && classes > 1) {
          int[] pr = top1(first, (int) classes);
          int[] pq = top1(t.get(outputs.get(0)), (int) classes);
          for (int i = 0; i < pr.length; i++) {
            agree += pr[i] == pq[i] ? 1 : 0;
          }
          classified += pr.length;
        } else {
          classifier = false;
        }
      }
    }
    double agreement = classifier && classified > 0 ? (double) agree / classified : Double.NaN;
    return new Measurement(energy, out, agreement, seen);
  }

  /**
   * Returns the tensor to score for a graph output: the input of a final Softmax/LogSoftmax,
   * looking through the reshapes an opset conversion puts around it; else the output itself.
   */
  static String logitsOf(String output, Map<String, Node> producers) {
    String t = output;
    for (Node p = producers.get(t); p != null; p = producers.get(t)) {
      switch (p.opType()) {
        case "Softmax", "LogSoftmax" -> {
          return p.input(0);
        }
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity" -> t = p.input(0);
        default -> {
          return output;
        }
      }
    }
    return output;
  }

  /** Returns the argmax of each sample's scores, whatever the trailing shape ([N,C] or [N,C,1,1]). */
  private static int[] top1(Tensor scores, int classes) {
    float[] v = scores.toFloats();
    int[] p = new int[v.length / classes];
    for (int i = 0; i < p.length; i++) {
      p[i] = BatchRunner.argmax(v, i * classes, classes);
    }
    return p;
  }

  private static SignalNoise energy(float[] x, float[] xq, String name) {
    if (x.length != xq.length) {
      throw new IllegalStateException(
          "tensor '"
              + name
              + "' has "
              + x.length
              + " values in FP32 but "
              + xq.length
              + " quantized");
    }
    return SignalNoise.of(x, xq);
  }

  private static List<String> concat(List<String> a, java.util.Collection<String> b) {
    List<String> l = new ArrayList<>(a);
    l.addAll(b);
    return l;
  }

  /** Returns {@code g} with the named tensors added as graph outputs. */
  static Graph expose(Graph g, Set<String> names) {
    GraphBuilder b = g.toBuilder();
    Set<String> inputs = new java.util.HashSet<>();
    g.inputs().forEach(v -> inputs.add(v.name()));
    for (String n : names) {
      if (!g.isOutput(n) && !inputs.contains(n)) {
        b.addOutput(QdqQuantizer.floatOutput(n));
      }
    }
    return b.build();
  }
}
