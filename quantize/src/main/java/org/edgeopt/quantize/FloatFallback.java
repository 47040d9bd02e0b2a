package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.quant.CalibrationTable;

/**
 * Automatic fallback: returns layers to float, one per step, until the error budget is met.
 *
 * <p>Each step ranks the quantized layers by the noise they add themselves (their added-noise
 * SQNR, lowest first) and tries them in that order, keeping the first whose return to float
 * raises the output SQNR. Errors of different layers partly cancel, so the worst layer alone
 * does not always help; after {@link #TRIALS_PER_STEP} tries without a gain the best of them
 * is kept, so every step makes progress and the loop ends, at the latest with every layer float.
 */
final class FloatFallback {
  /** How many candidates one step tries before settling for the best of them. */
  static final int TRIALS_PER_STEP = 4;

  private FloatFallback() {}

  /**
   * One quantization of the graph and what was measured on it.
   *
   * @param result the quantized graph
   * @param measurement SQNR per tensor and at the output, or null when no data was given
   * @param added each layer's added-noise SQNR in dB
   */
  record State(
      QdqQuantizer.Result result, SqnrProbe.Measurement measurement, Map<String, Double> added) {
    double outputSqnr() {
      return measurement.output().sqnrDb();
    }

    Double top1() {
      return Double.isNaN(measurement.top1Agreement()) ? null : measurement.top1Agreement();
    }
  }

  /**
   * The end of the search.
   *
   * @param state the last quantization
   * @param steps the layers returned to float, in order
   * @param met whether the budget was met
   */
  record Outcome(State state, List<QuantizationReport.FallbackStep> steps, boolean met) {}

  /** Quantizes with {@code floatNodes} kept float and, when data is given, measures. */
  static State evaluate(
      GraphPreparer.Prepared prepared,
      CalibrationTable table,
      QuantizeConfig config,
      Map<String, String> floatNodes,
      Dataset data,
      String where,
      String tableWhere)
      throws EdgeoptException {
    QdqQuantizer.Result r =
        QdqQuantizer.quantizePrepared(prepared, table, config, floatNodes, where, tableWhere);
    if (data == null) {
      return new State(r, null, Map.of());
    }
    SqnrProbe.Measurement m =
        SqnrProbe.measure(
            r.reference(), r.graph(), observedTensors(r), data, config.sensitivitySamples(), where);
    return new State(r, m, addedSqnr(r, m));
  }

  /** Runs the search from {@code floatNodes} (the user's exclusions), which it extends. */
  static Outcome run(
      GraphPreparer.Prepared prepared,
      CalibrationTable table,
      QuantizeConfig config,
      Map<String, String> floatNodes,
      Dataset data,
      String where,
      String tableWhere)
      throws EdgeoptException {
    State cur = evaluate(prepared, table, config, floatNodes, data, where, tableWhere);
    List<QuantizationReport.FallbackStep> steps = new ArrayList<>();
    if (data == null) {
      return new Outcome(cur, steps, true);
    }
    boolean met = budgetMet(config, cur.measurement());
    while (!met && config.fallbackRequested()) {
      State now = cur;
      List<QdqQuantizer.Layer> candidates =
          now.result().layers().stream()
              .filter(QdqQuantizer.Layer::quantized)
              .sorted(
                  Comparator.comparingDouble(
                      l -> now.added().getOrDefault(l.node(), SqnrProbe.EXACT_DB)))
              .toList();
      if (candidates.isEmpty()) {
        break;
      }
      State best = null;
      QdqQuantizer.Layer chosen = null;
      int tried = 0;
      String reason = null;
      for (QdqQuantizer.Layer c :
          candidates.subList(0, Math.min(TRIALS_PER_STEP, candidates.size()))) {
        tried++;
        String why =
            String.format(
                Locale.ROOT,
                "fallback %d: added-noise SQNR %s (rank %d) while the output" + " SQNR was %s",
                steps.size() + 1,
                db(now.added().getOrDefault(c.node(), SqnrProbe.EXACT_DB)),
                tried,
                db(now.outputSqnr()));
        Map<String, String> trial = new LinkedHashMap<>(floatNodes);
        trial.put(c.node(), why);
        State s = evaluate(prepared, table, config, trial, data, where, tableWhere);
        if (best == null || better(s, best)) {
          best = s;
          chosen = c;
          reason = why;
        }
        if (better(s, now)) {
          break;
        }
      }
      floatNodes.put(chosen.node(), reason);
      steps.add(
          new QuantizationReport.FallbackStep(
              chosen.node(),
              chosen.opType(),
              now.added().getOrDefault(chosen.node(), SqnrProbe.EXACT_DB),
              now.outputSqnr(),
              best.outputSqnr(),
              now.top1(),
              best.top1(),
              tried));
      cur = best;
      met = budgetMet(config, cur.measurement());
    }
    return new Outcome(cur, steps, met);
  }

  private static String db(double v) {
    return Double.isInfinite(v) ? "exact" : String.format(Locale.ROOT, "%.1f dB", v);
  }

  private static boolean better(State a, State b) {
    int c = Double.compare(a.outputSqnr(), b.outputSqnr());
    if (c != 0) {
      return c > 0;
    }
    return a.top1() != null && b.top1() != null && a.top1() > b.top1();
  }

  static boolean budgetMet(QuantizeConfig c, SqnrProbe.Measurement m) {
    boolean sqnr = Double.isNaN(c.fallbackSqnrDb()) || m.output().sqnrDb() >= c.fallbackSqnrDb();
    boolean top1 =
        Double.isNaN(c.fallbackTop1Agreement())
            || Double.isNaN(m.top1Agreement())
            || m.top1Agreement() >= c.fallbackTop1Agreement();
    return sqnr && top1;
  }

  /** Returns, for every layer output and input of the reference, the tensor of the quantized graph to compare. */
  static Map<String, String> observedTensors(QdqQuantizer.Result r) {
    Map<String, String> m = new LinkedHashMap<>();
    for (QdqQuantizer.Layer l : r.layers()) {
      for (String t : l.inputs()) {
        m.put(t, r.observedName(t));
      }
      m.put(l.output(), r.observedName(l.output()));
    }
    return m;
  }

  /**
   * Returns each layer's own contribution as an SQNR: the noise-to-signal ratio of its output
   * less the worst of its inputs' (what it was handed), in dB; +infinity when it adds none.
   */
  static Map<String, Double> addedSqnr(QdqQuantizer.Result r, SqnrProbe.Measurement m) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (QdqQuantizer.Layer l : r.layers()) {
      SqnrProbe.Energy e = m.tensors().get(l.output());
      if (e == null) {
        continue;
      }
      double in = 0;
      for (String t : l.inputs()) {
        SqnrProbe.Energy ie = m.tensors().get(t);
        if (ie != null) {
          in = Math.max(in, ie.noiseToSignal());
        }
      }
      double own = e.noiseToSignal() - in;
      out.put(l.node(), own <= 0 ? SqnrProbe.EXACT_DB : -10 * Math.log10(own));
    }
    return out;
  }
}
