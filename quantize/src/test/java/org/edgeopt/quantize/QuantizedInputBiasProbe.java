package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.quant.CalibrationTable;

/**
 * An experiment for docs/benchmarks.md ("The ceiling"): bias correction measured on the quantized
 * model's own inputs (AIMET's empirical form), so that it also removes the mean shift that the
 * rounding of upstream activations adds, not only the weights' (which {@link BiasCorrection}
 * measures on FP32 inputs).
 *
 * <p>Each round visits the Convs in graph order: it quantizes with the corrections so far, runs
 * the QDQ model on the calibration samples with that Conv's output exposed, and adds the
 * per-channel difference of its means from the FP32 model's to the shift subtracted from the
 * Conv's bias.
 */
public final class QuantizedInputBiasProbe {
  private QuantizedInputBiasProbe() {}

  /**
   * Returns the QDQ graph after each of {@code rounds} correction rounds (element 0: none), each
   * handed to {@code each} as it is made.
   *
   * @param allAtOnce measure every Conv on one quantization per round instead of layer by layer
   *     (it diverges: kept to show that)
   */
  public static List<Graph> rounds(
      Graph fp32,
      CalibrationTable table,
      QuantizeConfig config,
      Dataset data,
      int samples,
      int rounds,
      boolean allAtOnce,
      Consumer<Graph> each)
      throws Exception {
    GraphPreparer.Prepared p = GraphPreparer.prepare(fp32, "probe");
    List<String> convs =
        p.graph().nodes().stream().filter(n -> n.opType().equals("Conv")).map(Node::name).toList();
    Map<String, float[]> shifts = new LinkedHashMap<>();
    Map<String, double[]> reference = means(p.graph(), convs, data, samples);
    List<Graph> out = new ArrayList<>();
    for (int round = 0; ; round++) {
      QdqQuantizer.Result r = quantize(p, shifts, table, config);
      out.add(r.graph());
      each.accept(r.graph());
      if (round == rounds) {
        return out;
      }
      // Layer by layer in graph order: each correction is measured with every earlier layer
      // already corrected, since an earlier layer's shift reaches the later ones' means (all at
      // once, every later layer would be corrected twice for it).
      double worst = 0;
      Map<String, double[]> once = allAtOnce ? means(r.graph(), convs, data, samples) : null;
      for (String c : convs) {
        double[] now =
            allAtOnce
                ? once.get(c)
                : means(quantize(p, shifts, table, config).graph(), List.of(c), data, samples)
                    .get(c);
        double[] f = reference.get(c);
        float[] s = shifts.computeIfAbsent(c, k -> new float[now.length]);
        double largest = 0;
        for (int i = 0; i < now.length; i++) {
          s[i] += (float) (now[i] - f[i]);
          largest = Math.max(largest, Math.abs(now[i] - f[i]));
        }
        worst = Math.max(worst, largest);
        if (Boolean.getBoolean("bench.verbose")) {
          System.out.printf("    %s: largest |shift| %.4g%n", c, largest);
        }
      }
      System.out.printf("  round %d: largest mean shift corrected %.4g%n", round + 1, worst);
    }
  }

  private static QdqQuantizer.Result quantize(
      GraphPreparer.Prepared p,
      Map<String, float[]> shifts,
      CalibrationTable table,
      QuantizeConfig config)
      throws Exception {
    return QdqQuantizer.quantizePrepared(
        new GraphPreparer.Prepared(p.graph(), p.changes(), shifts),
        table,
        config,
        new LinkedHashMap<>(),
        "probe",
        "table");
  }

  /** Returns, per Conv node name, the mean of each output channel of that node over the samples. */
  private static Map<String, double[]> means(Graph g, List<String> convs, Dataset data, int samples)
      throws Exception {
    List<String> outs = convs.stream().map(c -> g.node(c).orElseThrow().output()).toList();
    ChannelStatistics st = ChannelStatistics.measure(g, outs, data, samples, "probe");
    Map<String, double[]> m = new LinkedHashMap<>();
    for (int i = 0; i < convs.size(); i++) {
      m.put(convs.get(i), st.of(outs.get(i)).mean());
    }
    return m;
  }
}
