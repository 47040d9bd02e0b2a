package org.edgeopt.spark;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SortedMap;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SharedModels;

/**
 * Calibration throughput on Spark against the single-machine command, side by side in one JVM:
 * mnist-7 on the 10,000 MNIST test images (batch 1, the model's own), entropy (the portable
 * profile's default). Prints samples/s for one machine, for Spark with 1 and 2 task slots
 * ({@code local[1]}, {@code local[2]}), Spark's overhead at N = 10,000, and how much the driver
 * holds per partition for N = 1,000 and 10,000 (the partials are what the driver collects).
 *
 * <pre>
 * mvn -B -o -q -pl spark -am test-compile
 * java -Xmx2g $(spark jvm options) -cp ... org.edgeopt.spark.SparkCalibrationBenchmark
 * </pre>
 * (docs/benchmarks.md gives the full command.) Not a test: run by hand.
 */
public final class SparkCalibrationBenchmark {
  private SparkCalibrationBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path model =
        SharedModels.find("mnist-7/mnist.onnx")
            .orElseThrow(
                () -> new IllegalStateException(SharedModels.missingReason("mnist-7/mnist.onnx")));
    Path data =
        SharedModels.find("mnist-t10k")
            .orElseThrow(() -> new IllegalStateException(SharedModels.missingReason("mnist-t10k")));
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    System.out.println(
        "CPU: "
            + HostCpu.current().describe()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores; load average "
            + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    String method = args.length > 1 ? args[1] : "entropy";
    CalibrationConfig cfg =
        CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"))
            .withSamples(n)
            .withThreads(1)
            .withMethod(
                org.edgeopt.calibrate.CalibrationMethod.valueOf(method.toUpperCase(Locale.ROOT)));
    Preprocessing pre = Preprocessing.identity();
    System.out.println(
        "mnist-7, "
            + n
            + " samples, "
            + method
            + "; best of 3 rounds, the three runs interleaved in each round");
    // Warm-up: class loading, ONNX Runtime's first session, the JIT.
    Calibration.calibrate(model, data, pre, cfg.withSamples(500), CalibrationProgress.NONE);
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    String local = null;
    boolean identical = true;
    // "memory" as the third argument measures only what the driver holds (for a run under a small
    // -Xmx).
    boolean memoryOnly = args.length > 2 && args[2].equals("memory");
    for (int round = 0; round < (memoryOnly ? 0 : 3); round++) {
      long t0 = System.nanoTime();
      local = Calibration.calibrate(model, data, pre, cfg, CalibrationProgress.NONE).toJson();
      best[0] = Math.min(best[0], (System.nanoTime() - t0) / 1e9);
      for (int slots = 1; slots <= 2; slots++) {
        // One session at a time (Spark allows one context per JVM), started outside the timing.
        SparkSession spark = TestSpark.session("local[" + slots + "]");
        try {
          SparkCalibration.calibrate(
              spark, model, FileSource.of(data), pre, cfg.withSamples(200), slots); // warm-up
          long s0 = System.nanoTime();
          String table =
              SparkCalibration.calibrate(spark, model, FileSource.of(data), pre, cfg, slots)
                  .toJson();
          best[slots] = Math.min(best[slots], (System.nanoTime() - s0) / 1e9);
          identical &= table.equals(local);
        } finally {
          spark.stop();
        }
      }
    }
    if (!memoryOnly) {
      System.out.printf(
          Locale.ROOT,
          "one machine (1 ONNX Runtime thread + the folding thread): %.2f s = %.0f samples/s%n",
          best[0],
          n / best[0]);
      for (int slots = 1; slots <= 2; slots++) {
        System.out.printf(
            Locale.ROOT,
            "spark local[%d], %d partitions: %.2f s = %.0f samples/s (%.2fx one machine's time)%n",
            slots,
            slots,
            best[slots],
            n / best[slots],
            best[slots] / best[0]);
      }
      System.out.println("tables identical to one machine's in every run: " + identical);
    }
    // What the driver collects: one partial per partition, whose size does not depend on N. A
    // fourth argument names the master: local-cluster[2,1,1024] runs the executors in their own
    // JVMs, so this JVM's peak heap is the driver's alone.
    String master = args.length > 3 ? args[3] : "local[2]";
    if (master.startsWith("local-cluster")) {
      clusterHome();
    }
    System.out.println("memory on " + master);
    SparkSession spark = TestSpark.session(master);
    try {
      for (int samples : new int[] {1_000, n}) {
        resetPeaks();
        SortedMap<Integer, byte[]> partials =
            FileSource.of(data)
                .run(
                    spark,
                    new SourceSettings(pre.toSpec(), samples, 1, 2, new long[] {1, 28, 28}),
                    new CalibrationPartitionJob(
                        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                                spark.sparkContext())
                            .broadcast(
                                org.edgeopt.core.onnx.OnnxModels.toBytes(
                                    org.edgeopt.core.onnx.OnnxModels.read(model))),
                        ExecutorCalibration.of(cfg, 1, 1),
                        model.toString()));
        long bytes = partials.values().stream().mapToLong(b -> b.length).sum();
        System.out.printf(
            Locale.ROOT,
            "N = %,d: the driver collects %d partials, %,d bytes in all; peak heap %,d MB%n",
            samples,
            partials.size(),
            bytes,
            peakHeap() >> 20);
      }
    } finally {
      spark.stop();
    }
  }

  /**
   * Prepares what Spark's {@code local-cluster} mode needs outside a Spark install (as {@code
   * SparkClusterTest} does); the executors get this JVM's class path, which must be short (a
   * manifest-only jar: docs/scale-out.md).
   */
  private static void clusterHome() throws java.io.IOException {
    Path home = Path.of("target", "spark-home").toAbsolutePath();
    java.nio.file.Files.createDirectories(home.resolve("jars"));
    java.nio.file.Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
    System.setProperty("spark.testing", "true");
    System.setProperty("spark.test.home", home.toString());
  }

  private static void resetPeaks() {
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      p.resetPeakUsage();
    }
  }

  private static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
