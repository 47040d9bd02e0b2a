package org.edgeopt.quantize.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.quantize.ImagenetDev;
import org.edgeopt.quantize.ModelQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.quantize.SqueezeNetFixtures;

/**
 * Where SqueezeNet loses agreement under INT8 (issue 15): the same 100/400 split of imagenet-dev
 * quantized with the weights alone (activations float), with 7-bit and 8-bit weights, and with
 * every calibration method, printing agreement with FP32 and the per-layer SQNR. A benchmark
 * main, not a test.
 */
public final class SqueezeNetInt8Diagnosis {
  private SqueezeNetInt8Diagnosis() {}

  public static void main(String[] args) throws Exception {
    LargeStack.run(() -> run(args));
  }

  private static void run(String[] args) throws Exception {
    ImagenetDev.Split split = ImagenetDev.squeezeNetSplit().orElseThrow();
    Graph fp32 = SqueezeNetFixtures.fp32();
    int[] labels = split.evaluation().labels();
    int[] fp = ImagenetDev.predict(fp32, split.evaluation());
    if (args.length > 0 && args[0].equals("mix")) {
      mix(fp32, split, fp, labels);
      return;
    }
    if (args.length > 0 && args[0].startsWith("margins")) {
      margins(fp32, split, labels, args[0].equals("margins-passes"));
      return;
    }
    if (args.length > 0 && args[0].equals("adaround")) {
      adaround(fp32, split, fp, labels);
      return;
    }
    for (int max : new int[] {64, 127}) {
      int[] q = ImagenetDev.predict(weightsOnly(fp32, max), split.evaluation());
      print(
          "weights only, [-" + max + "," + max + "] per channel",
          ImagenetDev.Scores.of(fp, q, labels));
    }
    CalibrationConfig cc =
        CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
            .withSamples(100)
            .withHistogram(true);
    CalibrationStatistics stats =
        Calibration.collect(fp32, split.calibration(), cc, CalibrationProgress.NONE);
    for (CalibrationMethod m : CalibrationMethod.values()) {
      CalibrationConfig mc = cc.withMethod(m);
      CalibrationTable t = Calibration.table(stats, mc, "", "", Map.of());
      for (int max : new int[] {64, 127}) {
        QuantizeConfig c = QuantizeConfig.defaults().withWeightQuantMax(max, max);
        ModelQuantizer.Outcome o =
            ModelQuantizer.quantize(
                fp32,
                t,
                c,
                split.calibration(),
                new ModelQuantizer.Provenance("diag", null, "cal", null));
        int[] q = ImagenetDev.predict(o.graph(), split.evaluation());
        print(
            m.id() + ", weights [-" + max + "," + max + "]", ImagenetDev.Scores.of(fp, q, labels));
        if (max == 64 && (m == CalibrationMethod.MINMAX || m == CalibrationMethod.MSE)) {
          o.report()
              .layers()
              .forEach(
                  l ->
                      System.out.printf(
                          Locale.ROOT,
                          "    %-22s %-10s sqnr %6.2f dB  range %s%n",
                          l.node(),
                          l.op(),
                          l.sqnrDb() == null ? Double.NaN : l.sqnrDb(),
                          t.range(l.output())));
        }
      }
    }
  }

  private static void adaround(Graph fp32, ImagenetDev.Split split, int[] fp, int[] labels)
      throws Exception {
    long t0 = System.nanoTime();
    CalibrationTable t =
        Calibration.calibrate(
            fp32,
            split.calibration(),
            CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
                .withSamples(100));
    System.out.printf(Locale.ROOT, "calibration %.1f s%n", (System.nanoTime() - t0) / 1e9);
    for (int max : new int[] {64, 127}) {
      for (boolean ar : new boolean[] {false, true}) {
        for (boolean bc : new boolean[] {false, true}) {
          QuantizeConfig c =
              QuantizeConfig.defaults()
                  .withWeightQuantMax(max, 127)
                  .withAdaRound(ar)
                  .withBiasCorrection(bc);
          long q0 = System.nanoTime();
          ModelQuantizer.Outcome o =
              ModelQuantizer.quantize(
                  fp32,
                  t,
                  c,
                  split.calibration(),
                  new ModelQuantizer.Provenance("diag", null, "cal", null));
          double qs = (System.nanoTime() - q0) / 1e9;
          int[] q = ImagenetDev.predict(o.graph(), split.evaluation());
          print(
              "w"
                  + max
                  + (ar ? " adaround" : "")
                  + (bc ? " bc" : "")
                  + String.format(Locale.ROOT, " %.1fs", qs),
              ImagenetDev.Scores.of(fp, q, labels));
          if (ar && !bc && max == 64) {
            o.report()
                .passes()
                .forEach(p -> p.changes().forEach(l -> System.out.println("    " + l)));
          }
        }
      }
    }
  }

  /** MSE ranges everywhere except on the head (tensors after the last weighted layer), which keeps minmax. */
  private static void mix(Graph fp32, ImagenetDev.Split split, int[] fp, int[] labels)
      throws Exception {
    CalibrationConfig cc =
        CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
            .withSamples(100)
            .withHistogram(true);
    CalibrationStatistics stats =
        Calibration.collect(fp32, split.calibration(), cc, CalibrationProgress.NONE);
    CalibrationTable mm =
        Calibration.table(stats, cc.withMethod(CalibrationMethod.MINMAX), "", "", Map.of());
    CalibrationTable mse =
        Calibration.table(stats, cc.withMethod(CalibrationMethod.MSE), "", "", Map.of());
    CalibrationTable pct =
        Calibration.table(stats, cc.withMethod(CalibrationMethod.PERCENTILE), "", "", Map.of());
    java.util.Set<String> head = new java.util.HashSet<>();
    java.util.Deque<String> todo = new java.util.ArrayDeque<>();
    fp32.outputs().forEach(v -> todo.add(v.name()));
    while (!todo.isEmpty()) {
      String t = todo.pop();
      if (!head.add(t)) {
        continue;
      }
      Node p = fp32.producer(t).orElse(null);
      if (p != null && !List.of("Conv", "Gemm", "MatMul").contains(p.opType())) {
        p.inputs().stream()
            .filter(i -> !i.isEmpty() && fp32.initializer(i).isEmpty())
            .forEach(todo::add);
      }
    }
    System.out.println("head tensors: " + head);
    for (CalibrationTable inner : List.of(mse, pct)) {
      Map<String, org.edgeopt.core.quant.TensorRange> r = new LinkedHashMap<>(inner.tensors());
      head.forEach(
          t -> {
            if (mm.tensors().containsKey(t)) {
              r.put(t, mm.tensors().get(t));
            }
          });
      CalibrationTable t =
          new CalibrationTable(
              inner.formatVersion(), "mixed", "", "", inner.samples(), inner.provenance(), r);
      for (boolean ar : new boolean[] {false, true}) {
        QuantizeConfig c = QuantizeConfig.defaults().withAdaRound(ar);
        long q0 = System.nanoTime();
        ModelQuantizer.Outcome o =
            ModelQuantizer.quantize(
                fp32,
                t,
                c,
                split.calibration(),
                new ModelQuantizer.Provenance("diag", null, "cal", null));
        double qs = (System.nanoTime() - q0) / 1e9;
        int[] q = ImagenetDev.predict(o.graph(), split.evaluation());
        print(
            inner.method()
                + " inside, minmax head"
                + (ar ? " adaround" : "")
                + String.format(Locale.ROOT, " %.0fs", qs),
            ImagenetDev.Scores.of(fp, q, labels));
        if (ar) {
          System.out.println("    " + o.report().passes().get(0).changes().get(0));
        }
      }
    }
  }

  /**
   * How close the evaluation photos are to a tie in FP32, and which of them INT8 flips: per photo
   * the FP32 log-odds {@code ln(p1 / p2)} of its top two classes, and how much each quantized
   * variant moves that margin (its RMS is the margin noise the variant adds).
   */
  private static void margins(Graph fp32, ImagenetDev.Split split, int[] labels, boolean passes)
      throws Exception {
    Graph named = named(fp32);
    SqueezeNetMarginStudy.Margins fpMargins =
        SqueezeNetMarginStudy.Margins.of(ImagenetDev.scores(named, split.evaluation()));
    int[] top1 = fpMargins.top1();
    int[] top2 = fpMargins.top2();
    double[] gap = fpMargins.gap();
    int n = gap.length;
    double[] limits = {0.05, 0.1, 0.2, 0.5, 1.0};
    StringBuilder pop = new StringBuilder("FP32 photos with top-2 log-odds below");
    for (double l : limits) {
      long c = java.util.Arrays.stream(gap).filter(x -> x < l).count();
      pop.append(String.format(Locale.ROOT, "  %.2f: %d", l, c));
    }
    System.out.println(pop);
    CalibrationTable t =
        Calibration.calibrate(
            named,
            split.calibration(),
            CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
                .withSamples(100));
    String pool =
        named.nodes().stream()
            .filter(x -> x.opType().equals("GlobalAveragePool"))
            .findFirst()
            .orElseThrow()
            .name();
    Map<String, Graph> variants = new LinkedHashMap<>();
    QuantizeConfig d = QuantizeConfig.defaults();
    // "pool quantized": as before issue 15's float head pool, which a target quantizing its
    // outputs still gets.
    if (passes) {
      variants.put(
          "minmax, [-64,64], pool quantized, AdaRound",
          quantized(named, t, poolQuantized(d.withAdaRound(true)), split));
      variants.put(
          "minmax, [-64,64], pool quantized, bias correction",
          quantized(named, t, poolQuantized(d.withBiasCorrection(true)), split));
      variants.put(
          "minmax, [-64,64], pool quantized, CLE + bias corr. + AdaRound",
          quantized(
              named,
              t,
              poolQuantized(
                  d.withCrossLayerEqualization(true).withBiasCorrection(true).withAdaRound(true)),
              split));
    } else {
      variants.put("weights only, [-64,64]", weightsOnly(named, 64));
      variants.put("weights only, [-127,127]", weightsOnly(named, 127));
      variants.put(
          "minmax, [-64,64], pool quantized", quantized(named, t, poolQuantized(d), split));
      variants.put("minmax, [-64,64] (pool float, the default)", quantized(named, t, d, split));
      variants.put(
          "minmax, [-64,64], pool excluded (--exclude)",
          quantized(named, t, d.withExclude(java.util.Set.of(pool)), split));
      variants.put(
          "minmax, [-127,127], pool quantized",
          quantized(named, t, poolQuantized(d.withWeightQuantMax(127, 127)), split));
    }
    for (Map.Entry<String, Graph> v : variants.entrySet()) {
      float[][] qs = ImagenetDev.scores(v.getValue(), split.evaluation());
      int[] q = new int[n];
      double sq = 0;
      StringBuilder flips = new StringBuilder();
      int[] flipsBelow = new int[limits.length];
      for (int i = 0; i < n; i++) {
        q[i] = org.edgeopt.core.eval.BatchRunner.argmax(qs[i], 0, qs[i].length);
        double moved = Math.log(qs[i][top1[i]] / (double) qs[i][top2[i]]) - gap[i];
        sq += moved * moved;
        if (q[i] != top1[i]) {
          flips.append(String.format(Locale.ROOT, " %.3f", gap[i]));
          for (int k = 0; k < limits.length; k++) {
            flipsBelow[k] += gap[i] < limits[k] ? 1 : 0;
          }
        }
      }
      int[] fp = top1;
      print(v.getKey(), ImagenetDev.Scores.of(fp, q, labels));
      System.out.printf(
          Locale.ROOT,
          "    margin noise (RMS change of the FP32 top-2 log-odds) %.3f; flips below %s: %s;"
              + " FP32 log-odds of the flipped photos:%s%n",
          Math.sqrt(sq / n),
          java.util.Arrays.toString(limits),
          java.util.Arrays.toString(flipsBelow),
          flips);
    }
  }

  /** Returns {@code c} quantizing the model's outputs too, which keeps the pool before Softmax quantized. */
  private static QuantizeConfig poolQuantized(QuantizeConfig c) {
    return c.withQuantizeOutputs(true);
  }

  static Graph quantized(Graph g, CalibrationTable t, QuantizeConfig c, ImagenetDev.Split split)
      throws Exception {
    return ModelQuantizer.quantize(
            g, t, c, split.calibration(), new ModelQuantizer.Provenance("diag", null, "cal", null))
        .graph();
  }

  /** Returns {@code g} with every node named by its op type and index, so that it can be excluded. */
  static Graph named(Graph g) {
    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    g.inputs().forEach(b::addInput);
    g.outputs().forEach(b::addOutput);
    g.initializers().values().forEach(b::addInitializer);
    g.valueInfo().values().forEach(b::putValueInfo);
    int i = 0;
    for (Node n : g.nodes()) {
      String name = n.name().isEmpty() ? n.opType() + "_n" + i : n.name();
      b.addNode(new Node(name, n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes()));
      i++;
    }
    return b.build();
  }

  static void print(String what, ImagenetDev.Scores s) {
    System.out.printf(
        Locale.ROOT,
        "%-44s FP32 %6.2f  INT8 %6.2f  drop %5.2f  agreement %6.2f%n",
        what,
        s.fp32Top1(),
        s.int8Top1(),
        s.drop(),
        s.agreement());
  }

  /** Returns {@code g} with every Conv weight rounded to its per-channel int8 grid, all else float. */
  static Graph weightsOnly(Graph g, int max) {
    return weightsOnly(g, max, null);
  }

  /** Returns {@code g} with the weights of the Conv nodes named in {@code only} (all when null) rounded. */
  static Graph weightsOnly(Graph g, int max, java.util.Set<String> only) {
    GraphBuilder b = new GraphBuilder(g);
    for (Node n : g.nodes()) {
      if (!n.opType().equals("Conv") || (only != null && !only.contains(n.name()))) {
        continue;
      }
      Tensor w = g.initializer(n.inputs().get(1)).orElseThrow();
      float[] v = w.toFloats();
      int per = v.length / (int) w.dim(0);
      for (int c = 0; c < w.dim(0); c++) {
        float m = 0;
        for (int k = c * per; k < (c + 1) * per; k++) {
          m = Math.max(m, Math.abs(v[k]));
        }
        float s = m / max;
        for (int k = c * per; k < (c + 1) * per; k++) {
          v[k] = s == 0 ? 0 : (float) (Math.rint(v[k] / s) * s);
        }
      }
      b.removeInitializer(w.name()).addInitializer(Tensor.ofFloats(w.name(), w.dims(), v));
    }
    return b.build();
  }
}
