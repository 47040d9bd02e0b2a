package org.edgeopt.quantize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;

/**
 * Bias absorption (Nagel et al., ICCV 2019, section 4.2), run after cross-layer equalization:
 * equalization can leave a channel of the first Conv with a large bias, which widens the range
 * of the activation the second Conv reads. For a Conv -> ReLU (-> MaxPool) -> Conv pair, an
 * amount {@code c = max(0, mean - 3 std)} of the first Conv's pre-activation channel (measured on
 * the calibration data; for a BatchNorm-folded Conv the paper's {@code beta - 3 gamma} is the same
 * figure when the data matches the BatchNorm statistics) is taken out of the first bias and put
 * into the second: {@code b1 -= c}, {@code b2 += W2 c}.
 *
 * <p>Exactness: {@code relu(x) = relu(x - c) + c} holds for every {@code x >= c}, and for no
 * {@code x < c}. So a channel is absorbed only when its smallest pre-activation value on the data
 * is at least {@code c}: then the FP32 function is unchanged on that data (up to float rounding),
 * though not necessarily on other inputs. Max pooling commutes with the shift. A second Conv that
 * pads with zeros would see {@code 0} at the border where it used to see {@code c}, so pairs whose
 * second Conv pads are skipped, as are pairs through a bounded Clip (the bound would move).
 */
public final class BiasAbsorption {
  /** How many standard deviations below the mean the absorbed amount sits (the paper's 3). */
  public static final double STD_MULTIPLE = 3;

  private BiasAbsorption() {}

  /**
   * The absorption of one pair.
   *
   * @param first the Conv whose bias gave
   * @param seconds the Convs whose biases took, joined by {@code ", "}
   * @param amounts {@code c} per channel; 0 where nothing was absorbed
   * @param candidates channels with {@code mean - 3 std > 0}
   */
  public record Absorbed(String first, String seconds, double[] amounts, int candidates) {
    public Absorbed {
      amounts = amounts.clone();
    }

    @Override
    public double[] amounts() {
      return amounts.clone();
    }

    /** Returns how many channels absorbed a positive amount. */
    public int absorbedChannels() {
      return (int) java.util.Arrays.stream(amounts).filter(a -> a > 0).count();
    }

    /** Returns one line for reports. */
    public String describe() {
      double max = java.util.Arrays.stream(amounts).max().orElse(0);
      return String.format(
          Locale.ROOT,
          "absorbed bias of Conv '%s' into Conv '%s': %d of %d channels (%d with"
              + " mean - 3 std > 0), largest %.3g",
          first,
          seconds.replace(", ", "', '"),
          absorbedChannels(),
          amounts.length,
          candidates,
          max);
    }
  }

  /**
   * The graph with biases moved, and what moved.
   *
   * @param graph the graph
   * @param absorbed one entry per pair with at least one absorbing channel
   * @param skipped one line per pair left alone, with the reason
   * @param samples how many calibration samples the pre-activations were measured on
   */
  public record Result(Graph graph, List<Absorbed> absorbed, List<String> skipped, int samples) {
    public Result {
      absorbed = List.copyOf(absorbed);
      skipped = List.copyOf(skipped);
    }

    /** Returns one line per pair. */
    public List<String> changes() {
      List<String> l = new ArrayList<>();
      absorbed.forEach(a -> l.add(a.describe()));
      l.addAll(skipped);
      return l;
    }

    /**
     * Returns, for each tensor the absorption shifted (the first Conv's output and what lies
     * between the pair), the amount subtracted from each channel.
     */
    public Map<String, double[]> shiftedTensors(CrossLayerEqualization.Result cle) {
      Map<String, double[]> m = new LinkedHashMap<>();
      for (Absorbed a : absorbed) {
        for (CrossLayerEqualization.ScaledPair p : cle.scaled()) {
          if (p.first().equals(a.first())) {
            m.put(graph.node(p.first()).orElseThrow().output(), a.amounts());
            p.between().forEach(n -> m.put(graph.node(n).orElseThrow().output(), a.amounts()));
          }
        }
      }
      return m;
    }
  }

  /**
   * Measures the pre-activations of the equalized pairs of {@code cle} on the first
   * {@code samples} samples of {@code data} and absorbs what the data allows.
   *
   * @param where names the model in errors
   */
  public static Result apply(
      CrossLayerEqualization.Result cle, Dataset data, int samples, String where)
      throws EdgeoptException {
    Graph g = cle.graph();
    List<String> pre =
        cle.scaled().stream().map(p -> g.node(p.first()).orElseThrow().output()).toList();
    if (pre.isEmpty()) {
      return new Result(g, List.of(), List.of(), 0);
    }
    return apply(cle, ChannelStatistics.measure(g, pre, data, samples, where));
  }

  /** Absorbs with the first Convs' output statistics already measured on the equalized graph. */
  static Result apply(CrossLayerEqualization.Result cle, ChannelStatistics stats) {
    Graph g = cle.graph();
    GraphBuilder b = g.toBuilder();
    List<Absorbed> absorbed = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (CrossLayerEqualization.ScaledPair p : cle.scaled()) {
      Node first = g.node(p.first()).orElseThrow();
      List<Node> seconds =
          java.util.Arrays.stream(p.second().split(", "))
              .map(n -> g.node(n).orElseThrow())
              .toList();
      String why = unsupported(g, p, seconds);
      ChannelStatistics.Channels ch = stats.of(first.output());
      if (why == null && ch == null) {
        why = "its pre-activation '" + first.output() + "' was not measured";
      }
      if (why != null) {
        skipped.add("did not absorb bias of Conv '" + p.first() + "': " + why);
        continue;
      }
      int m = ch.mean().length;
      double[] c = new double[m];
      int candidates = 0;
      for (int j = 0; j < m; j++) {
        double amount = Math.max(0, ch.mean()[j] - STD_MULTIPLE * ch.std()[j]);
        candidates += amount > 0 ? 1 : 0;
        // Exact on the data only where no pre-activation value falls below the amount.
        c[j] = amount > 0 && ch.min()[j] >= amount ? amount : 0;
      }
      Absorbed a = new Absorbed(p.first(), p.second(), c, candidates);
      if (a.absorbedChannels() == 0) {
        skipped.add(
            "did not absorb bias of Conv '"
                + p.first()
                + "': no channel has mean - 3 std > 0 with every"
                + " value above it ("
                + candidates
                + " of "
                + m
                + " with mean - 3 std > 0)");
        continue;
      }
      float[] b1 = currentBias(b, first.name(), m);
      for (int j = 0; j < m; j++) {
        b1[j] = (float) (b1[j] - c[j]);
      }
      putBias(b, first.name(), b1);
      for (Node second : seconds) {
        putBias(b, second.name(), shiftedBias(g, b, second, c));
      }
      absorbed.add(a);
    }
    return new Result(absorbed.isEmpty() ? g : b.build(), absorbed, skipped, stats.samples());
  }

  /** Returns why a pair cannot absorb exactly, or null. */
  private static String unsupported(
      Graph g, CrossLayerEqualization.ScaledPair p, List<Node> seconds) {
    List<String> between = p.between();
    if (between.isEmpty() || !g.node(between.get(0)).orElseThrow().opType().equals("Relu")) {
      return "no ReLU right after it (" + (between.isEmpty() ? "nothing" : between.get(0)) + ")";
    }
    for (String n : between) {
      if (g.node(n).orElseThrow().opType().equals("Clip")) {
        return "Clip '" + n + "' between the Convs has a bound the shift would move";
      }
    }
    for (Node s : seconds) {
      boolean pads = java.util.Arrays.stream(s.intsAttr("pads", new long[0])).anyMatch(v -> v != 0);
      String autoPad = s.stringAttr("auto_pad", "NOTSET");
      if (pads || !(autoPad.equals("NOTSET") || autoPad.equals("VALID"))) {
        return "Conv '"
            + s.name()
            + "' pads with zeros, which the shift would turn into -c at the border";
      }
    }
    return null;
  }

  /** Returns the second Conv's bias plus {@code W2 c}: per output channel, its weights times c summed. */
  private static float[] shiftedBias(Graph g, GraphBuilder b, Node conv, double[] c) {
    Tensor wt = g.initializers().get(conv.input(1));
    float[] w = wt.toFloats();
    long[] d = wt.dims();
    int m2 = Math.toIntExact(d[0]);
    int cpg = Math.toIntExact(d[1]);
    int groups = (int) conv.intAttr("group", 1);
    int mpg = m2 / groups;
    int kernel = w.length / (m2 * cpg);
    float[] bias = currentBias(b, conv.name(), m2);
    for (int o = 0; o < m2; o++) {
      int grp = o / mpg;
      double add = 0;
      for (int ci = 0; ci < cpg; ci++) {
        double cj = c[grp * cpg + ci];
        int base = (o * cpg + ci) * kernel;
        for (int k = base; k < base + kernel; k++) {
          add += w[k] * cj;
        }
      }
      bias[o] = (float) (bias[o] + add);
    }
    return bias;
  }

  /** Returns a Conv's bias as the builder holds it now (a chain's middle Conv changes twice), zeros if none. */
  private static float[] currentBias(GraphBuilder b, String conv, int channels) {
    Node n = b.nodes().stream().filter(x -> x.name().equals(conv)).findFirst().orElseThrow();
    return n.input(2).isEmpty() ? new float[channels] : b.initializers().get(n.input(2)).toFloats();
  }

  /** Stores a Conv's new bias, adding a bias input where it had none. */
  private static void putBias(GraphBuilder b, String convName, float[] bias) {
    Node conv = b.nodes().stream().filter(x -> x.name().equals(convName)).findFirst().orElseThrow();
    String name = conv.input(2).isEmpty() ? b.uniqueName(conv.name() + "_bias") : conv.input(2);
    b.addInitializer(Tensor.ofFloats(name, new long[] {bias.length}, bias));
    if (conv.input(2).isEmpty()) {
      b.replaceNode(conv.withInputs(List.of(conv.input(0), conv.input(1), name)));
    }
  }
}
