package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Telemetry that cannot be used ends in one exit-3 line naming the file (and the line where
 * there is one), never in an internal error: hand-made cases, then every byte of small valid
 * files mutated at random.
 */
class MalformedTelemetryTest {
  @TempDir Path dir;

  private static final String JSONL =
      """
      {"device":"d1","ts":1000,"predicted":1,"confidence":0.9,"scores":[0.9,0.05,0.05],"latencyMs":3.1,"label":1,"sampleId":"a"}
      {"device":"d2","ts":"2026-12-01T00:00:00Z","failed":true}
      {"device":"d1","ts":2000,"predicted":2,"confidence":0.6,"extra":{"nested":[1,2]}}
      """;
  private static final String CSV =
      """
      device,ts,predicted,confidence,scores,latencyMs,failed,label,sampleId
      d1,1000,1,0.9,0.9;0.05;0.05,3.1,false,1,a
      d2,2026-12-01T00:00:00Z,,,,,true,,
      """;

  private static Baseline baseline() {
    return new Baseline(
        "test",
        3,
        List.of("a", "b", "c"),
        zeros(ConfidenceBins.COUNT, 1),
        zeros(ConfidenceBins.COUNT, 1),
        List.of(1L, 1L, 1L),
        0.8,
        0.1,
        3,
        List.of(),
        null);
  }

  private static List<Long> zeros(int n, long v) {
    List<Long> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(v);
    }
    return l;
  }

  private MonitorReport monitor(Path file) throws EdgeoptException {
    return Monitor.run(
        baseline(),
        "test",
        new MonitorConfig(List.of(file), 60, MonitorThresholds.defaults(), 5, null));
  }

  @Test
  void validFilesOfBothFormatsAreRead() throws Exception {
    Path j = dir.resolve("t.jsonl");
    Files.writeString(j, JSONL);
    assertEquals(3, monitor(j).records());
    Path c = dir.resolve("t.csv.gz");
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(CSV.getBytes(StandardCharsets.UTF_8));
    }
    Files.write(c, gz.toByteArray());
    MonitorReport r = monitor(c);
    assertEquals(2, r.records());
    assertEquals("a", r.uncertain().get(0).sampleId());
    assertEquals(0.15, r.uncertain().get(0).uncertainty(), 1e-9, "1 - margin (0.9 - 0.05)");
  }

  @Test
  void handMadeFaultsNameFileAndLine() throws Exception {
    String[][] cases = {
      {
        "a.jsonl",
        "{\"device\":\"d\",\"ts\":1,\"predicted\":1,\"confidence\":1.5}\n",
        "a.jsonl:1: field 'confidence'"
      },
      {"b.jsonl", "{\"ts\":1,\"predicted\":1,\"confidence\":0.5}\n", "b.jsonl:1: field 'device'"},
      {
        "c.jsonl",
        "{\"device\":\"d\",\"ts\":\"yesterday\",\"predicted\":1,\"confidence\":0.5}\n",
        "c.jsonl:1: field 'ts'"
      },
      {
        "d.jsonl",
        "{\"device\":\"d\",\"ts\":1,\"predicted\":7,\"confidence\":0.5}\n",
        "d.jsonl: record 1 (device d): class 7"
      },
      {"e.jsonl", "{\"device\":\"d\",\"ts\":1,\n", "e.jsonl:"},
      {"f.jsonl", "[1,2]\n", "f.jsonl:1: expected one JSON object per line"},
      {"g.csv", "device,ts,predicted,confidence\nd,1,1\n", "g.csv:2: 3 columns: expected 4"},
      {
        "h.csv",
        "device,ts,predicted,confidence\nd,1,x,0.5\n",
        "h.csv:2: field 'predicted': expected an integer"
      },
      {"i.txt", "whatever", "i.txt: unknown telemetry format"},
      {"j.jsonl.gz", "not gzip", "j.jsonl.gz: cannot read telemetry"},
    };
    for (String[] c : cases) {
      Path f = dir.resolve(c[0]);
      Files.writeString(f, c[1]);
      EdgeoptException e = assertThrows(EdgeoptException.class, () -> monitor(f), c[0]);
      assertEquals(ExitCode.INVALID_INPUT, e.exitCode(), c[0]);
      assertTrue(e.getMessage().contains(c[2]), c[0] + ": " + e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void randomByteMutationsNeverEndInAnInternalError() throws Exception {
    Random random = new Random(18);
    for (String[] base : new String[][] {{"m.jsonl", JSONL}, {"m.csv", CSV}}) {
      byte[] good = base[1].getBytes(StandardCharsets.UTF_8);
      Path f = dir.resolve(base[0]);
      for (int i = 0; i < 300; i++) {
        byte[] bad = good.clone();
        for (int k = 0; k <= random.nextInt(3); k++) {
          bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
        }
        Files.write(f, bad);
        try {
          monitor(f);
        } catch (EdgeoptException e) {
          assertEquals(ExitCode.INVALID_INPUT, e.exitCode(), e.getMessage());
        }
      }
    }
  }
}
