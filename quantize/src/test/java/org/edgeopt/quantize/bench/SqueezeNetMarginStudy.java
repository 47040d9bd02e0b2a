package org.edgeopt.quantize.bench;

import static org.edgeopt.quantize.bench.SqueezeNetInt8Diagnosis.named;
import static org.edgeopt.quantize.bench.SqueezeNetInt8Diagnosis.quantized;
import static org.edgeopt.quantize.bench.SqueezeNetInt8Diagnosis.weightsOnly;

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
 * How far SqueezeNet's INT8 agreement can go (issue 15, docs/benchmarks.md "The ceiling"): each
 * variant scored by the change of every photo's FP32 top-2 log-odds (the margin noise) as well as
 * by agreement, optionally on 800 views (each evaluation photo and its mirror image). Modes:
 * {@code budget} (each layer's weights alone), {@code budget2} (conv1 float), {@code compare}
 * and {@code compare-smooth} (800 views; {@code -Dbench.asWritten=true} adds the QDQ model run
 * as written and with FP32 weights), {@code ranges} (calibration methods), {@code fallback},
 * {@code bias-quantized-inputs} (bias correction on the quantized model's inputs). A benchmark
 * main, not a test.
 */
public final class SqueezeNetMarginStudy {
  private SqueezeNetMarginStudy() {}

  public static void main(String[] args) throws Exception {
    LargeStack.run(() -> run(args));
  }

  private static void run(String[] args) throws Exception {
    ImagenetDev.Split split = ImagenetDev.squeezeNetSplit().orElseThrow();
    Graph fp32 = SqueezeNetFixtures.fp32();
    int[] labels = split.evaluation().labels();
    String mode = args.length > 0 ? args[0] : "compare";
    switch (mode) {
      case "budget" -> budget(fp32, split, labels);
      case "budget2" -> budget2(fp32, split, labels);
      case "compare" -> compare(fp32, split, false);
      case "compare-smooth" -> compare(fp32, split, true);
      case "ranges" -> ranges(fp32, split, labels);
      case "fallback" -> fallback(fp32, split, labels);
      case "bias-quantized-inputs" -> quantizedInputBias(fp32, split);
      default ->
          throw new IllegalArgumentException(
              "expected budget, budget2, compare, compare-smooth, ranges, fallback or"
                  + " bias-quantized-inputs, found "
                  + mode);
    }
  }

  /** Where the margin noise comes from, layer by layer, and what 8-bit weights or a float layer buy. */
  private static void budget(Graph fp32, ImagenetDev.Split split, int[] labels) throws Exception {
    Graph named = named(fp32);
    float[][] fs = ImagenetDev.scores(named, split.evaluation());
    Margins m = Margins.of(fs);
    java.util.List<String> convs =
        named.nodes().stream().filter(x -> x.opType().equals("Conv")).map(Node::name).toList();
    for (String c : convs) {
      m.print(
          "weights only [-64,64], only " + c,
          ImagenetDev.scores(weightsOnly(named, 64, java.util.Set.of(c)), split.evaluation()),
          labels);
    }
    CalibrationTable t = minmaxTable(named, split);
    QuantizeConfig d = QuantizeConfig.defaults();
    m.print(
        "minmax [-64,64] default",
        ImagenetDev.scores(quantized(named, t, d, split), split.evaluation()),
        labels);
    m.print(
        "minmax [-127,127] pool float",
        ImagenetDev.scores(
            quantized(named, t, d.withWeightQuantMax(127, 127), split), split.evaluation()),
        labels);
    m.print(
        "minmax [-127,127] pool float adaround",
        ImagenetDev.scores(
            quantized(named, t, d.withWeightQuantMax(127, 127).withAdaRound(true), split),
            split.evaluation()),
        labels);
    m.print(
        "minmax [-64,64] adaround",
        ImagenetDev.scores(quantized(named, t, d.withAdaRound(true), split), split.evaluation()),
        labels);
    String last = convs.get(convs.size() - 1);
    m.print(
        "minmax [-64,64] " + last + " float",
        ImagenetDev.scores(
            quantized(named, t, d.withExclude(java.util.Set.of(last)), split), split.evaluation()),
        labels);
    m.print(
        "minmax [-64,64] " + convs.get(0) + " float",
        ImagenetDev.scores(
            quantized(named, t, d.withExclude(java.util.Set.of(convs.get(0))), split),
            split.evaluation()),
        labels);
  }

  private static void budget2(Graph fp32, ImagenetDev.Split split, int[] labels) throws Exception {
    Graph named = named(fp32);
    Margins m = Margins.of(ImagenetDev.scores(named, split.evaluation()));
    CalibrationTable t = minmaxTable(named, split);
    String in = named.inputs().get(0).name();
    org.edgeopt.core.quant.TensorRange r = t.range(in);
    org.edgeopt.core.quant.QuantParams qp =
        org.edgeopt.core.quant.QuantParams.asymmetric(
            r.min(), r.max(), org.edgeopt.core.graph.DataType.UINT8);
    float sc = qp.scales()[0];
    long zp = qp.zeroPoints()[0];
    System.out.println("input range " + r + " scale " + sc + " zp " + zp);
    java.util.List<Tensor> fq = new java.util.ArrayList<>();
    for (Tensor x : split.evaluation().images()) {
      float[] v = x.toFloats();
      for (int i = 0; i < v.length; i++) {
        long q = Math.max(0, Math.min(255, Math.round(v[i] / sc) + zp));
        v[i] = (q - zp) * sc;
      }
      fq.add(Tensor.ofFloats(x.name(), x.dims(), v));
    }
    m.print(
        "FP32, input alone quantized",
        ImagenetDev.scores(named, new ImagenetDev.Photos(fq, labels)),
        labels);
    String first =
        named.nodes().stream()
            .filter(x -> x.opType().equals("Conv"))
            .findFirst()
            .orElseThrow()
            .name();
    QuantizeConfig d = QuantizeConfig.defaults();
    for (int max : new int[] {64, 127}) {
      for (boolean ar : new boolean[] {false, true}) {
        long q0 = System.nanoTime();
        Graph q =
            quantized(
                named,
                t,
                d.withWeightQuantMax(max, 127)
                    .withAdaRound(ar)
                    .withExclude(java.util.Set.of(first)),
                split);
        m.print(
            String.format(
                Locale.ROOT,
                "[-%d] %s float%s %.0fs",
                max,
                first,
                ar ? " adaround" : "",
                (System.nanoTime() - q0) / 1e9),
            ImagenetDev.scores(q, split.evaluation()),
            labels);
      }
    }
  }

  /**
   * The main variants on 800 views (each evaluation photo and its mirror image), so that the
   * agreement figures scatter less than on 400.
   */
  private static void compare(Graph fp32, ImagenetDev.Split split, boolean smooth)
      throws Exception {
    Graph named = named(fp32);
    ImagenetDev.Photos eval = views(split);
    int[] labels = eval.labels();
    List<Tensor> views = eval.images();
    String tag = views.size() + " views";
    Margins m = Margins.of(ImagenetDev.scores(named, eval));
    CalibrationTable t = minmaxTable(named, split);
    QuantizeConfig d = QuantizeConfig.defaults();
    if (System.getProperty("bench.params") != null) {
      Graph q = quantized(named, t, d.withWeightQuantMax(127, 127), split);
      for (Node n : q.nodes()) {
        if (n.opType().equals("QuantizeLinear")) {
          float sc = q.initializer(n.input(1)).orElseThrow().toFloats()[0];
          String zp =
              n.inputs().size() > 2
                  ? java.util.Arrays.toString(q.initializer(n.input(2)).orElseThrow().dims())
                      + q.initializer(n.input(2)).orElseThrow().dataType()
                  : "-";
          org.edgeopt.core.quant.TensorRange r = t.tensors().get(n.input(0));
          System.out.printf(
              Locale.ROOT,
              "Q %-40s scale %.5f zp %s  table %s  consumers %s%n",
              n.input(0),
              sc,
              zp,
              r == null
                  ? "-"
                  : String.format(
                      Locale.ROOT,
                      "[%.2f, %.2f] -> %.5f",
                      r.min(),
                      r.max(),
                      (Math.max(r.max(), 0) - Math.min(r.min(), 0)) / 255),
              q.consumers(n.output()).stream().map(Node::opType).toList());
        }
      }
      return;
    }
    if (System.getProperty("bench.asWritten") != null) {
      Graph q = quantized(named, t, d.withWeightQuantMax(127, 127), split);
      m.print(tag + ", [-127], integer kernels", ImagenetDev.scores(q, eval), labels);
      System.setProperty("bench.noOptimization", "true");
      m.print(tag + ", [-127], QDQ as written (float ops)", ImagenetDev.scores(q, eval), labels);
      m.print(
          tag + ", the same with FP32 weights (activations alone)",
          ImagenetDev.scores(withFloatWeights(q, named), eval),
          labels);
      System.setProperty("bench.noOptimization", "false");
      return;
    }
    if (smooth) {
      for (double alpha : new double[] {0.25, 0.5, 0.75, 1.0}) {
        Graph sm =
            org.edgeopt.quantize.ActivationSmoothingProbe.apply(
                named, split.calibration(), 100, alpha);
        m.print("FP32 after smoothing " + alpha, ImagenetDev.scores(sm, eval), labels);
        CalibrationTable st = minmaxTable(sm, split);
        for (boolean ar : new boolean[] {false, true}) {
          m.print(
              tag + ", [-64] smoothed " + alpha + (ar ? " adaround" : ""),
              ImagenetDev.scores(quantized(sm, st, d.withAdaRound(ar), split), eval),
              labels);
        }
      }
      return;
    }
    for (int max : new int[] {64, 127}) {
      for (boolean ar : new boolean[] {false, true}) {
        m.print(
            tag + ", [-" + max + "]" + (ar ? " adaround" : ""),
            ImagenetDev.scores(
                quantized(named, t, d.withWeightQuantMax(max, 127).withAdaRound(ar), split), eval),
            labels);
      }
    }
  }

  /** Automatic fallback to float for SQNR budgets, measured on the held-out photos. */
  private static void fallback(Graph fp32, ImagenetDev.Split split, int[] labels) throws Exception {
    Graph named = named(fp32);
    Margins m = Margins.of(ImagenetDev.scores(named, split.evaluation()));
    CalibrationTable t = minmaxTable(named, split);
    for (boolean ar : new boolean[] {false}) {
      for (double db : new double[] {34}) {
        QuantizeConfig c =
            QuantizeConfig.defaults()
                .withAdaRound(ar)
                .withFallbackSqnr(db)
                .withSensitivitySamples(100);
        long q0 = System.nanoTime();
        ModelQuantizer.Outcome o =
            ModelQuantizer.quantize(
                named,
                t,
                c,
                split.calibration(),
                new ModelQuantizer.Provenance("diag", null, "cal", null));
        m.print(
            String.format(
                Locale.ROOT,
                "fallback %.0f dB%s %.0fs",
                db,
                ar ? " adaround" : "",
                (System.nanoTime() - q0) / 1e9),
            ImagenetDev.scores(o.graph(), split.evaluation()),
            labels);
        System.out.println("    " + o.report().fallback());
      }
    }
  }

  /** Margin noise per calibration method, and of MSE or percentile inside with minmax on the head. */
  private static void ranges(Graph fp32, ImagenetDev.Split split, int[] labels) throws Exception {
    Graph named = named(fp32);
    Margins m = Margins.of(ImagenetDev.scores(named, split.evaluation()));
    CalibrationConfig cc =
        CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
            .withSamples(100)
            .withHistogram(true);
    long c0 = System.nanoTime();
    CalibrationStatistics stats =
        Calibration.collect(named, split.calibration(), cc, CalibrationProgress.NONE);
    System.out.printf(Locale.ROOT, "statistics %.1f s%n", (System.nanoTime() - c0) / 1e9);
    Map<CalibrationMethod, CalibrationTable> tables = new LinkedHashMap<>();
    for (CalibrationMethod cm : CalibrationMethod.values()) {
      tables.put(cm, Calibration.table(stats, cc.withMethod(cm), "", "", Map.of()));
    }
    QuantizeConfig d = QuantizeConfig.defaults();
    for (boolean ar : new boolean[] {false, true}) {
      for (Map.Entry<CalibrationMethod, CalibrationTable> e : tables.entrySet()) {
        m.print(
            e.getKey().id() + " [-64]" + (ar ? " adaround" : ""),
            ImagenetDev.scores(
                quantized(named, e.getValue(), d.withAdaRound(ar), split), split.evaluation()),
            labels);
      }
    }
  }

  /**
   * Returns the QDQ graph {@code q} with every Conv weight's DequantizeLinear replaced by the
   * FP32 weights of the same-named Conv of {@code fp32} (zero-padded on the input-channel axis
   * where the quantizer padded it): the quantizer's activation rounding alone.
   */
  private static Graph withFloatWeights(Graph q, Graph fp32) {
    GraphBuilder b = new GraphBuilder(q);
    Map<String, Node> fpConvs = new java.util.HashMap<>();
    fp32.nodes().stream()
        .filter(n -> n.opType().equals("Conv"))
        .forEach(n -> fpConvs.put(n.name(), n));
    int replaced = 0;
    for (Node n : q.nodes()) {
      if (!n.opType().equals("Conv") || !fpConvs.containsKey(n.name())) {
        continue;
      }
      Node dq = q.producer(n.input(1)).orElse(null);
      if (dq == null || !dq.opType().equals("DequantizeLinear")) {
        continue;
      }
      Tensor w = fp32.initializer(fpConvs.get(n.name()).input(1)).orElseThrow();
      long[] qd = q.initializer(dq.input(0)).orElseThrow().dims();
      float[] v = w.toFloats();
      float[] out = new float[(int) (qd[0] * qd[1] * qd[2] * qd[3])];
      int ker = (int) (qd[2] * qd[3]);
      int cin = (int) w.dim(1);
      for (int o = 0; o < qd[0]; o++) {
        for (int c = 0; c < cin; c++) {
          System.arraycopy(v, (o * cin + c) * ker, out, (int) ((o * qd[1] + c) * ker), ker);
        }
      }
      String name = b.uniqueName(n.input(1) + "_fp32");
      b.addInitializer(Tensor.ofFloats(name, qd, out));
      List<String> in = new java.util.ArrayList<>(n.inputs());
      in.set(1, name);
      b.replaceNode(n.withInputs(in));
      replaced++;
    }
    System.out.println("    (" + replaced + " Conv weights back to FP32)");
    return b.removeUnused().build();
  }

  /**
   * Returns every evaluation photo and then its mirror image (800 views), or the photos alone
   * with {@code -Dbench.originalsOnly=true}.
   */
  static ImagenetDev.Photos views(ImagenetDev.Split split) {
    List<Tensor> views = new java.util.ArrayList<>(split.evaluation().images());
    boolean mirrors = !Boolean.getBoolean("bench.originalsOnly");
    for (Tensor x : mirrors ? split.evaluation().images() : List.<Tensor>of()) {
      float[] v = x.toFloats();
      long[] d = x.dims();
      int w = (int) d[d.length - 1];
      for (int row = 0; row < v.length; row += w) {
        for (int i = 0, j = w - 1; i < j; i++, j--) {
          float tmp = v[row + i];
          v[row + i] = v[row + j];
          v[row + j] = tmp;
        }
      }
      views.add(Tensor.ofFloats(x.name(), d, v));
    }
    int[] l = split.evaluation().labels();
    int[] labels = new int[views.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = l[i % l.length];
    }
    return new ImagenetDev.Photos(views, labels);
  }

  /**
   * Bias correction measured on the quantized model's own inputs ({@link
   * org.edgeopt.quantize.QuantizedInputBiasProbe}), three rounds, on 800 views.
   */
  private static void quantizedInputBias(Graph fp32, ImagenetDev.Split split) throws Exception {
    Graph named = named(fp32);
    ImagenetDev.Photos eval = views(split);
    Margins m = Margins.of(ImagenetDev.scores(named, eval));
    CalibrationTable t = minmaxTable(named, split);
    for (int max : Boolean.getBoolean("bench.verbose") ? new int[] {127} : new int[] {64, 127}) {
      int[] round = {0};
      org.edgeopt.quantize.QuantizedInputBiasProbe.rounds(
          named,
          t,
          QuantizeConfig.defaults().withWeightQuantMax(max, 127),
          split.calibration(),
          split.calibration().size(),
          Integer.getInteger("bench.rounds", 3),
          Boolean.getBoolean("bench.allAtOnce"),
          q -> {
            try {
              m.print(
                  eval.size()
                      + " views, [-"
                      + max
                      + "], quantized-input bias correction round "
                      + round[0]++,
                  ImagenetDev.scores(q, eval),
                  eval.labels());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }
  }

  /** The default profile's minmax table from the split's 100 calibration photos. */
  static CalibrationTable minmaxTable(Graph g, ImagenetDev.Split split) throws Exception {
    return Calibration.calibrate(
        g,
        split.calibration(),
        CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
            .withSamples(100));
  }

  /** Per photo the FP32 top two classes and their log-odds, to measure how a variant moves them. */
  record Margins(int[] top1, int[] top2, double[] gap) {
    static Margins of(float[][] fs) {
      int n = fs.length;
      int[] top1 = new int[n];
      int[] top2 = new int[n];
      double[] gap = new double[n];
      for (int i = 0; i < n; i++) {
        int a = -1;
        int b = -1;
        for (int c = 0; c < fs[i].length; c++) {
          if (a < 0 || fs[i][c] > fs[i][a]) {
            b = a;
            a = c;
          } else if (b < 0 || fs[i][c] > fs[i][b]) {
            b = c;
          }
        }
        top1[i] = a;
        top2[i] = b;
        gap[i] = Math.log(fs[i][a] / (double) fs[i][b]);
      }
      return new Margins(top1, top2, gap);
    }

    void print(String what, float[][] qs, int[] labels) {
      int n = qs.length;
      int[] q = new int[n];
      double sq = 0;
      for (int i = 0; i < n; i++) {
        q[i] = org.edgeopt.core.eval.BatchRunner.argmax(qs[i], 0, qs[i].length);
        double moved = Math.log(qs[i][top1[i]] / (double) qs[i][top2[i]]) - gap[i];
        sq += moved * moved;
      }
      SqueezeNetInt8Diagnosis.print(what, ImagenetDev.Scores.of(top1, q, labels));
      double[] abs = new double[n];
      for (int i = 0; i < n; i++) {
        abs[i] = Math.abs(Math.log(qs[i][top1[i]] / (double) qs[i][top2[i]]) - gap[i]);
      }
      java.util.Arrays.sort(abs);
      System.out.printf(
          Locale.ROOT,
          "    margin noise %.3f (RMS), median |change| %.3f, 90th percentile %.3f%n",
          Math.sqrt(sq / n),
          abs[n / 2],
          abs[(int) (0.9 * n)]);
    }
  }
}
