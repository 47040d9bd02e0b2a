package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The canary gate on the fleet scenario's telemetry: the current version's side is two control
 * devices; a third control is promoted, a noisy camera and a throttled device are rolled back,
 * and too few records are refused.
 */
class CanaryTest {
  static FleetScenario scenario;
  static Path baseline;

  /**
   * A canary side here has 500 to 750 predictions, below the default 1000, so the confidence
   * margin is widened from 0.02 to 0.03 to keep the non-inferiority bound's power at about 95%
   * (confidence standard deviation about 0.15: 1.645 * 0.15 * sqrt(1/1500 + 1/500) = 0.013).
   */
  static final CanaryThresholds T =
      new CanaryThresholds(400, 30, 0.95, 0.001, 0.03, 0.1, 1.2, 0.01, 0.03);

  @BeforeAll
  static void split() throws Exception {
    scenario = FleetScenario.get();
    baseline =
        select(
            "baseline.jsonl",
            line ->
                line.contains("\"device\":\"control-1\"")
                    || line.contains("\"device\":\"control-2\""));
  }

  /** Writes the scenario's lines that match into a new file of the same format (CSV keeps its header). */
  private static Path select(String name, Predicate<String> keep) throws IOException {
    List<String> out = new ArrayList<>();
    for (Path f : scenario.telemetry) {
      List<String> lines = Files.readAllLines(f);
      boolean csv = f.toString().endsWith(".csv");
      for (int i = csv ? 1 : 0; i < lines.size(); i++) {
        if (keep.test(lines.get(i))) {
          out.add(lines.get(i));
        }
      }
      if (csv && name.endsWith(".csv")) {
        out.add(0, lines.get(0));
      }
    }
    Path p = scenario.dir.resolve(name);
    Files.write(p, out);
    return p;
  }

  private static boolean shifted(String line) {
    long ts = Long.parseLong(line.replaceAll("^[^,]*,(\\d+),.*$", "$1"));
    return ts
        >= TelemetryGenerator.START_MS
            + FleetScenario.SHIFT_FROM * TelemetryGenerator.WINDOW_MINUTES * 60_000L;
  }

  @Test
  void anUnchangedModelIsPromoted() throws Exception {
    Path good = select("good.jsonl", line -> line.contains("\"device\":\"control-3\""));
    CanaryReport r = Canary.decide(List.of(baseline), List.of(good), T);
    assertEquals("PROMOTE", r.decision(), r.checks().toString());
    assertTrue(
        r.checks().stream()
            .anyMatch(c -> c.name().equals("accuracy") && !c.outcome().equals("fail")));
  }

  @Test
  void aWorseModelIsRolledBack() throws Exception {
    Path noisy = select("noisy.csv", line -> line.startsWith("noise-1,") && shifted(line));
    CanaryReport r = Canary.decide(List.of(baseline), List.of(noisy), T);
    assertEquals("ROLLBACK", r.decision());
    assertTrue(
        r.checks().stream()
            .anyMatch(c -> c.name().equals("mean-confidence") && c.outcome().equals("fail")),
        r.checks().toString());
  }

  @Test
  void aSlowerModelIsRolledBack() throws Exception {
    Path slow = select("slow.csv", line -> line.startsWith("slow-1,") && shifted(line));
    CanaryReport r = Canary.decide(List.of(baseline), List.of(slow), T);
    assertEquals("ROLLBACK", r.decision());
    List<String> failed =
        r.checks().stream()
            .filter(c -> c.outcome().equals("fail"))
            .map(CanaryReport.Check::name)
            .toList();
    assertEquals(List.of("latency"), failed, r.checks().toString());
  }

  @Test
  void tooFewRecordsCannotDecide() throws Exception {
    Path few = select("few.csv", line -> line.startsWith("mix-1,") && !shifted(line));
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Canary.decide(List.of(baseline), List.of(few), T));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains("expected at least 400"), e.getMessage());
  }
}
