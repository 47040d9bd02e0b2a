package org.edgeopt.deploy.bench;

import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.deploy.Baseline;
import org.edgeopt.deploy.ConfidenceBins;
import org.edgeopt.deploy.Monitor;
import org.edgeopt.deploy.MonitorConfig;
import org.edgeopt.deploy.MonitorReport;
import org.edgeopt.deploy.MonitorThresholds;
import org.edgeopt.deploy.TelemetryRecord;
import org.edgeopt.deploy.TelemetrySource;

/**
 * {@code edgeopt monitor} over many records: peak heap and records per second for 1 million and
 * 10 million synthetic records made on the fly (the same 200 devices and 24 one-hour windows, so
 * the statistics held are the same size and only the record count grows), then the whole path
 * from files (JSON Lines and CSV, 1 million records each, written to a temporary folder).
 *
 * <p>Peak heap is the sum of the heap pools' peak usage since a reset just before each run
 * (garbage included, so it mostly shows the young generation's size); "live at 90%" is the heap
 * in use after a full GC nine tenths into an on-the-fly run, the monitor's statistics; "report"
 * is the heap after the run with only the report held.
 * Run: see docs/benchmarks.md.
 */
public final class MonitorBenchmark {
  private static final int DEVICES = 200;
  private static final int WINDOWS = 24;
  private static final long START = 1_796_083_200_000L;
  private static final long SPAN = WINDOWS * 3_600_000L;

  /** The heap in use after a full GC nine tenths into the last on-the-fly run, -1 for file runs. */
  private static long live = -1;

  private MonitorBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.out.println("host: " + HostCpu.current().describe());
    System.out.println(
        "java: "
            + System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.version")
            + ", max heap "
            + Runtime.getRuntime().maxMemory() / (1 << 20)
            + " MiB");
    Baseline baseline = baseline();
    String[] devices = new String[DEVICES];
    for (int d = 0; d < DEVICES; d++) {
      devices[d] = "device-" + d;
    }
    MonitorConfig config =
        new MonitorConfig(
            List.of(Path.of("generated")), 60, MonitorThresholds.defaults(), 100, null);
    // One untimed warm-up run so that both measured runs see compiled code.
    measure("warm-up", baseline, config, List.of(synthetic(devices, 1_000_000)));
    for (long n : new long[] {1_000_000L, 10_000_000L}) {
      measure(
          String.format(Locale.ROOT, "%,d on the fly", n),
          baseline,
          config,
          List.of(synthetic(devices, n)));
    }
    Path dir = Files.createTempDirectory("edgeopt-monitor-bench");
    try {
      Path jsonl = dir.resolve("t.jsonl");
      Path csv = dir.resolve("t.csv");
      write(devices, 1_000_000L, jsonl, csv);
      measure(
          "1,000,000 JSON Lines (" + Files.size(jsonl) / (1 << 20) + " MiB)",
          baseline,
          config,
          List.of(TelemetrySource.of(jsonl)));
      measure(
          "1,000,000 CSV (" + Files.size(csv) / (1 << 20) + " MiB)",
          baseline,
          config,
          List.of(TelemetrySource.of(csv)));
    } finally {
      for (Path p : List.of(dir.resolve("t.jsonl"), dir.resolve("t.csv"), dir)) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void measure(
      String what, Baseline baseline, MonitorConfig config, List<TelemetrySource> sources)
      throws Exception {
    System.gc();
    List<MemoryPoolMXBean> heap = new ArrayList<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
        heap.add(p);
      }
    }
    live = -1;
    long t0 = System.nanoTime();
    MonitorReport r = Monitor.run(baseline, "bench", config, sources);
    double s = (System.nanoTime() - t0) / 1e9;
    long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    System.gc();
    long retained = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    System.out.printf(
        Locale.ROOT,
        "%-34s %7.2f s  %,12.0f records/s  peak heap %6.1f MiB  live at 90%% %s  report %4.1f MiB"
            + "  (%d alerts)%n",
        what,
        s,
        r.records() / s,
        peak / 1048576.0,
        live < 0 ? "    -   " : String.format(Locale.ROOT, "%4.1f MiB", live / 1048576.0),
        retained / 1048576.0,
        r.alerts().size());
  }

  /** Records made on the fly: nothing is stored, so memory is the monitor's own. */
  private static TelemetrySource synthetic(String[] devices, long n) {
    return new TelemetrySource() {
      @Override
      public String name() {
        return "synthetic";
      }

      @Override
      public void forEach(Consumer<TelemetryRecord> sink) {
        SplittableRandom random = new SplittableRandom(7);
        for (long i = 0; i < n; i++) {
          if (i == n * 9 / 10) {
            // The live set nine tenths in: every (window, device) statistic is held by now.
            System.gc();
            live = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
          }
          sink.accept(record(devices, random, i, n));
        }
      }
    };
  }

  private static TelemetryRecord record(String[] devices, SplittableRandom random, long i, long n) {
    double u = random.nextDouble();
    double conf = 1 - 0.6 * u * u * u;
    int predicted = random.nextInt(10);
    return new TelemetryRecord(
        devices[(int) (i % devices.length)],
        START + i * SPAN / n,
        "1.0.0",
        random.nextInt(1000) == 0,
        false,
        predicted,
        conf,
        conf * 0.9,
        3.5 * Math.exp(0.2 * (random.nextDouble() - 0.5)),
        i % 20 == 0 ? (random.nextInt(10) == 0 ? (predicted + 1) % 10 : predicted) : -1,
        i % 10 == 0 ? "s" + i : null,
        null);
  }

  private static void write(String[] devices, long n, Path jsonl, Path csv) throws Exception {
    SplittableRandom random = new SplittableRandom(7);
    try (BufferedWriter j = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8);
        BufferedWriter c = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      c.write("device,ts,modelVersion,predicted,confidence,latencyMs,failed,label,sampleId\n");
      for (long i = 0; i < n; i++) {
        TelemetryRecord r = record(devices, random, i, n);
        String conf = String.format(Locale.ROOT, "%.4f", r.confidence());
        String lat = String.format(Locale.ROOT, "%.3f", r.latencyMs());
        j.write(
            "{\"device\":\""
                + r.device()
                + "\",\"ts\":"
                + r.timestampMs()
                + ",\"modelVersion\":\"1.0.0\",\"predicted\":"
                + r.predicted()
                + ",\"confidence\":"
                + conf
                + ",\"latencyMs\":"
                + lat
                + (r.failed() ? ",\"failed\":true" : "")
                + (r.label() >= 0 ? ",\"label\":" + r.label() : "")
                + (r.sampleId() != null ? ",\"sampleId\":\"" + r.sampleId() + "\"" : "")
                + "}\n");
        c.write(
            r.device()
                + ","
                + r.timestampMs()
                + ",1.0.0,"
                + r.predicted()
                + ","
                + conf
                + ","
                + lat
                + ","
                + r.failed()
                + ","
                + (r.label() >= 0 ? r.label() : "")
                + ","
                + (r.sampleId() != null ? r.sampleId() : "")
                + "\n");
      }
    }
  }

  /** A baseline with the synthetic records' own distributions. */
  private static Baseline baseline() {
    long[] conf = new long[ConfidenceBins.COUNT];
    long[] classes = new long[10];
    SplittableRandom random = new SplittableRandom(11);
    double sum = 0;
    double sq = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      double u = random.nextDouble();
      double c = 1 - 0.6 * u * u * u;
      conf[ConfidenceBins.of(c)]++;
      classes[random.nextInt(10)]++;
      sum += c;
      sq += c * c;
    }
    List<Long> confList = new ArrayList<>();
    for (long v : conf) {
      confList.add(v);
    }
    List<Long> classList = new ArrayList<>();
    for (long v : classes) {
      classList.add(v);
    }
    double mean = sum / n;
    return new Baseline(
        "synthetic",
        n,
        List.of(),
        confList,
        confList,
        classList,
        mean,
        Math.sqrt(sq / n - mean * mean),
        (int) (0.9 * n),
        List.of(),
        new Baseline.Latency("synthetic", 3.5, 3.8, 3.9));
  }
}
