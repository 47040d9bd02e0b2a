package org.edgeopt.planners.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The lower envelope against brute force on random cost tables. */
class LinkSweepTest {
  private static final Encoding FP32 = new Encoding(WireFormat.FP32, false);

  @Test
  void bestCutIsTheBruteForceMinimumAtEveryBandwidth() {
    Random r = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 2 + r.nextInt(12);
      List<CutCost> costs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        boolean last = i == n - 1;
        double bytes = last ? 0 : Math.round(r.nextDouble() * 2e5);
        costs.add(
            new CutCost(
                new Cut(IntStream.range(0, i).boxed().toList(), n - 1, List.of(), List.of("n" + i)),
                0,
                r.nextDouble() * 0.05,
                r.nextDouble() * 0.01,
                0,
                Map.of("fp32", bytes)));
      }
      double rtt = r.nextDouble() * 0.05;
      LinkSweep sweep = LinkSweep.of(costs, FP32, rtt);
      for (double mbit = 0.01; mbit < 1e4; mbit *= 1.07) {
        Link link = new Link(mbit * 1e6, rtt);
        double min =
            costs.stream().mapToDouble(c -> c.totalSeconds(FP32, link)).min().orElseThrow();
        double got = costs.get(sweep.best(link.uplinkBitsPerSecond())).totalSeconds(FP32, link);
        assertEquals(
            min, got, 1e-12 * Math.max(1, min), "trial " + trial + " at " + mbit + " Mbit/s");
      }
      double previous = Double.POSITIVE_INFINITY;
      for (LinkSweep.BreakEven b : sweep.breakEvens()) {
        assertTrue(b.bitsPerSecond() <= previous, "break-evens run from fast to slow links");
        previous = b.bitsPerSecond();
        if (Double.isFinite(b.bitsPerSecond())) {
          Link at = new Link(b.bitsPerSecond(), rtt);
          double a = costs.get(b.faster()).totalSeconds(FP32, at);
          double c = costs.get(b.slower()).totalSeconds(FP32, at);
          assertEquals(
              a, c, 1e-9 * Math.max(a, 1e-9), "both cuts cost the same at their break-even");
        }
      }
    }
  }

  @Test
  void parsesLinkUnits() throws Exception {
    assertEquals(10e6, Link.parseRate("10Mbit/s"));
    assertEquals(500e3, Link.parseRate("500kbit/s"));
    assertEquals(1e9, Link.parseRate("1Gbps"));
    assertEquals(0.040, Link.parseDuration("40ms"), 1e-12);
  }
}
