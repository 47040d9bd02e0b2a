package org.edgeopt.calibrate.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.OperatingSystemMXBean;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SharedModels;

/**
 * The calibration-cost benchmark (not a test): calibration of N samples against plain FP32
 * inference of the same N samples, side by side in one run, and the peak memory of a calibration
 * of 5,000 samples against one of 500, each in a fresh JVM.
 *
 * <p>Timing: every measurement is end to end as the command line does it (read the model, open the
 * data, create the session, run N samples; calibration also hashes the files and chooses the
 * ranges). Baseline: ONNX Runtime's default optimization level and threads, batches of 32 or the
 * model's fixed batch. The methods are run in rotation for several rounds; medians of wall time
 * and of process CPU time are reported (CPU time is steadier on a shared machine).
 *
 * <p>Memory: each run is a fresh JVM with a fixed, pre-touched heap (so the heap's share of the
 * resident set cannot depend on how much garbage a run makes); reported are the peak resident set
 * (VmHWM: heap, ONNX Runtime's arena, native code) and the largest heap still live after a
 * garbage collection (what the run retains).
 *
 * <pre>
 * mvn -B -q -pl calibrate test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.edgeopt.calibrate.bench.CalibrationBenchmark \
 *     -Dexec.args="--out bench/results/calibration-cost.md"
 * </pre>
 *
 * Options: {@code --model FILE --data PATH --preprocess SPEC} (default: mnist-7 on the MNIST test
 * set from shared/real-models), {@code --samples 500,1000,5000}, {@code --rounds 3},
 * {@code --memory-samples 500,5000}, {@code --out FILE} (markdown; printed as well).
 */
public final class CalibrationBenchmark {
  private static final String HEAP = "-Xmx384m";
  private static final List<String> METHODS =
      List.of("fp32", "minmax", "entropy", "percentile", "mse");

  private CalibrationBenchmark() {}

  /** The settings of one benchmark run. */
  private record Setup(
      Path model,
      Path data,
      String preprocess,
      List<Integer> samples,
      int rounds,
      List<Integer> memorySamples,
      Path out) {}

  /** Runs the benchmark; with {@code --child METHOD N} runs one measurement for a parent run instead. */
  public static void main(String[] args) throws Exception {
    Setup s = parse(args);
    if (args.length > 0 && args[0].equals("--child")) {
      child(s, args[1], Integer.parseInt(args[2]));
      return;
    }
    StringBuilder md = new StringBuilder();
    String cpu = cpuModel();
    md.append("## Calibration cost\n\n")
        .append(
            String.format(
                Locale.ROOT,
                "Model `%s`, data `%s`, preprocess `%s`; %s, %d CPUs, Java %s, %s.%n%n",
                s.model(),
                s.data(),
                s.preprocess().isEmpty() ? "(none)" : s.preprocess(),
                cpu,
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                OrtRuntime.get().name()));
    md.append(loadNote()).append("\n\n");
    timing(s, md);
    memory(s, md);
    String text = md.toString();
    System.out.println(text);
    if (s.out() != null) {
      AtomicFiles.writeString(s.out(), text);
      System.out.println("wrote " + s.out());
    }
  }

  private static Setup parse(String[] args) throws EdgeoptException {
    Map<String, String> o = new LinkedHashMap<>();
    int start = args.length > 0 && args[0].equals("--child") ? 3 : 0;
    for (int i = start; i + 1 < args.length; i += 2) {
      o.put(args[i], args[i + 1]);
    }
    Path model =
        o.containsKey("--model")
            ? Path.of(o.get("--model"))
            : SharedModels.find("mnist-7/mnist.onnx")
                .orElseThrow(
                    () ->
                        EdgeoptException.invalid(
                            SharedModels.missingReason("mnist-7/mnist.onnx")
                                + "; give --model and --data"));
    Path data =
        o.containsKey("--data")
            ? Path.of(o.get("--data"))
            : SharedModels.find("mnist-t10k")
                .orElseThrow(
                    () ->
                        EdgeoptException.invalid(
                            SharedModels.missingReason("mnist-t10k") + "; give --data"));
    return new Setup(
        model,
        data,
        o.getOrDefault("--preprocess", ""),
        ints(o.getOrDefault("--samples", "500,1000,5000")),
        Integer.parseInt(o.getOrDefault("--rounds", "3")),
        ints(o.getOrDefault("--memory-samples", "500,5000")),
        o.containsKey("--out") ? Path.of(o.get("--out")) : null);
  }

  private static List<Integer> ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::strip).map(Integer::parseInt).toList();
  }

  /** One timed run: wall and process CPU seconds. */
  private record Cost(double wall, double cpu) {}

  private static Cost run(Setup s, String method, int n) throws EdgeoptException {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    if (method.equals("fp32")) {
      Dataset d = Datasets.open(s.data(), pre, null, null);
      try (InferenceSession session = OrtRuntime.get().open(s.model(), SessionOptions.defaults())) {
        long[] seen = {0};
        BatchRunner.run(
            session, d, CalibrationConfig.DEFAULT_BATCH_SIZE, n, (b, out) -> seen[0] += b.size());
        if (seen[0] != Math.min(n, d.size())) {
          throw new IllegalStateException("ran " + seen[0] + " samples, expected " + n);
        }
      }
    } else {
      CalibrationConfig cfg =
          CalibrationConfig.of(CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT)))
              .withSamples(n);
      Calibration.calibrate(s.model(), s.data(), pre, cfg, CalibrationProgress.NONE);
    }
    return new Cost((System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9);
  }

  private static void timing(Setup s, StringBuilder md) throws EdgeoptException {
    for (String m : METHODS) {
      run(s, m, 200);
    }
    md.append("### Time for N samples (median of ")
        .append(s.rounds())
        .append(" rounds, methods in rotation)\n\n")
        .append(
            "| N | method | wall s | CPU s | wall / FP32 | CPU / FP32 | goal |\n|---|---|---|---|---|---|---|\n");
    for (int n : s.samples()) {
      Map<String, List<Cost>> costs = new LinkedHashMap<>();
      for (int r = 0; r < s.rounds(); r++) {
        for (String m : METHODS) {
          costs.computeIfAbsent(m, k -> new ArrayList<>()).add(run(s, m, n));
        }
      }
      double baseWall = median(costs.get("fp32"), true);
      double baseCpu = median(costs.get("fp32"), false);
      for (String m : METHODS) {
        double wall = median(costs.get(m), true);
        double cpu = median(costs.get(m), false);
        String goal =
            switch (m) {
              case "minmax" -> verdict(wall / baseWall, cpu / baseCpu, 1.5);
              case "entropy" -> verdict(wall / baseWall, cpu / baseCpu, 2.5);
              default -> "";
            };
        md.append(
            String.format(
                Locale.ROOT,
                "| %d | %s | %.2f | %.2f | %.2f | %.2f | %s |%n",
                n,
                m,
                wall,
                cpu,
                wall / baseWall,
                cpu / baseCpu,
                goal));
      }
      System.err.println("timed N = " + n);
    }
    md.append('\n');
  }

  private static String verdict(double wallRatio, double cpuRatio, double goal) {
    return String.format(
        Locale.ROOT,
        "<= %.1fx: wall %s, CPU %s",
        goal,
        wallRatio <= goal ? "met" : "MISSED",
        cpuRatio <= goal ? "met" : "MISSED");
  }

  private static double median(List<Cost> c, boolean wall) {
    double[] v = c.stream().mapToDouble(x -> wall ? x.wall() : x.cpu()).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static void memory(Setup s, StringBuilder md) throws IOException, InterruptedException {
    md.append("### Peak memory, one fresh JVM per run (")
        .append(HEAP)
        .append(", heap pre-touched)\n\n")
        .append(
            "| method | N | peak RSS MiB | live heap after GC, peak MiB | RSS vs first N |\n|---|---|---|---|---|\n");
    for (String m : List.of("fp32", "minmax", "entropy")) {
      double first = -1;
      for (int n : s.memorySamples()) {
        Map<String, String> r = spawn(s, m, n);
        double rss = Double.parseDouble(r.get("rssKb")) / 1024;
        double live = Double.parseDouble(r.get("liveHeapAfterGcBytes")) / (1024 * 1024);
        if (first < 0) {
          first = rss;
        }
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %.1f | %.1f | %+.1f%% |%n",
                m,
                n,
                rss,
                live,
                100 * (rss - first) / first));
        System.err.println("measured memory of " + m + " N = " + n);
      }
    }
    md.append("\nGoal: peak memory for N = 5,000 within 15% of N = 500.\n");
  }

  private static Map<String, String> spawn(Setup s, String method, int n)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP,
                "-Xms" + HEAP.substring(4),
                "-XX:+AlwaysPreTouch",
                "-cp",
                classPath(),
                CalibrationBenchmark.class.getName(),
                "--child",
                method,
                Integer.toString(n),
                "--model",
                s.model().toString(),
                "--data",
                s.data().toString(),
                "--preprocess",
                s.preprocess()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Map<String, String> result = new LinkedHashMap<>();
    List<String> log = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        log.add(line);
        if (line.startsWith("RESULT ")) {
          for (String kv : line.substring(7).split(" ")) {
            String[] a = kv.split("=", 2);
            result.put(a[0], a[1]);
          }
        }
      }
    }
    if (p.waitFor() != 0 || result.isEmpty()) {
      throw new IllegalStateException("child run failed: " + String.join("\n", log));
    }
    return result;
  }

  /** Returns the class path of this run, also under {@code exec:java}, whose loader is not the system one. */
  private static String classPath() {
    Set<String> entries = new LinkedHashSet<>();
    for (ClassLoader l = CalibrationBenchmark.class.getClassLoader();
        l != null;
        l = l.getParent()) {
      if (l instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("class path entry " + url + " is not a file", e);
          }
        }
      }
    }
    if (entries.isEmpty()) {
      return System.getProperty("java.class.path");
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void child(Setup s, String method, int n) throws Exception {
    // The heap right after each collection is what the run keeps alive, not its garbage: track its
    // peak.
    Set<String> heapPools = new LinkedHashSet<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool.getName());
      }
    }
    AtomicLong liveAfterGc = new AtomicLong();
    NotificationListener listener =
        (notification, handback) -> {
          if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
              notification.getType())) {
            GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            long used =
                info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                    .filter(e -> heapPools.contains(e.getKey()))
                    .mapToLong(e -> e.getValue().getUsed())
                    .sum();
            liveAfterGc.accumulateAndGet(used, Math::max);
          }
        };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
    }
    run(s, method, n);
    String status = Files.readString(Path.of("/proc/self/status"));
    String hwm =
        status
            .lines()
            .filter(l -> l.startsWith("VmHWM:"))
            .findFirst()
            .orElse("VmHWM: 0 kB")
            .replaceAll("[^0-9]", "");
    System.out.println("RESULT rssKb=" + hwm + " liveHeapAfterGcBytes=" + liveAfterGc.get());
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip())
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static String loadNote() {
    try {
      String load = Files.readString(Path.of("/proc/loadavg")).strip();
      return "Load average at the start (1, 5, 15 min): "
          + load.substring(0, load.indexOf(' ', load.indexOf(' ', load.indexOf(' ') + 1) + 1))
          + ".";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
