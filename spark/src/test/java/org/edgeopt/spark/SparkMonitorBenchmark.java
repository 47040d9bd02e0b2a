package org.edgeopt.spark;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.deploy.TelemetryStatistics;

/**
 * Driver memory of {@code monitor} on Spark against the number of records: synthetic telemetry
 * (100 devices, 24 one-hour windows, 10 classes, scores, latencies, labels on one record in ten)
 * made on the executors and written as Parquet, so the driver never holds records; then the
 * monitor's fold over N = 100,000 and 1,000,000 records in one JVM. Prints the bytes of partial
 * statistics the driver collects and the JVM's peak heap during each fold (driver and the
 * {@code local} executors share the JVM, so it bounds the driver's from above). Run it under a
 * small fixed {@code -Xmx}: that both N finish is the point.
 *
 * <pre>
 * java -Xmx384m (spark.jvm.options) -cp bench-cp.jar org.edgeopt.spark.SparkMonitorBenchmark 100000 1000000
 * </pre>
 * (docs/benchmarks.md gives the full command.) Not a test: run by hand.
 */
public final class SparkMonitorBenchmark {
  private SparkMonitorBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.out.println(
        "CPU: "
            + HostCpu.current().describe()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores; max heap "
            + (Runtime.getRuntime().maxMemory() >> 20)
            + " MB; load average "
            + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Path dir = Files.createTempDirectory("edgeopt-monitor-bench");
    SparkSession spark = TestSpark.session("local[2]");
    try {
      for (String a : args.length > 0 ? args : new String[] {"100000", "1000000"}) {
        long n = Long.parseLong(a);
        String parquet = dir.resolve("t-" + n + ".parquet").toString();
        write(spark, n, parquet);
        resetPeaks();
        long t0 = System.nanoTime();
        TelemetryStatistics s =
            SparkMonitor.fold(
                spark,
                java.util.List.of(parquet),
                SparkMonitor.Format.PARQUET,
                4,
                new TelemetryStatistics(10, 60, null, 50));
        double sec = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            java.util.Locale.ROOT,
            "N = %,d: %,d records, %d devices, %d windows folded in %.1f s; the merged statistics are %,d bytes;"
                + " peak heap %,d MB%n",
            n,
            s.records(),
            s.devices(),
            s.cells().size(),
            sec,
            org.edgeopt.deploy.TelemetryStatisticsCodec.encode(s).length,
            peakHeap() >> 20);
      }
    } finally {
      spark.stop();
    }
  }

  /** Writes {@code n} seeded synthetic records as Parquet, made on the executors. */
  private static void write(SparkSession spark, long n, String path) {
    spark
        .range(n)
        .repartition(4)
        .map(
            (MapFunction<Long, Row>)
                i -> {
                  Random r = new Random(i * 0x9E3779B97F4A7C15L);
                  int device = (int) (i % 100);
                  double conf = 0.5 + 0.5 * r.nextDouble();
                  return RowFactory.create(
                      "dev-" + device,
                      1_796_083_200_000L + r.nextInt(24 * 3_600_000),
                      "1.0",
                      r.nextInt(10),
                      conf,
                      scala.jdk.javaapi.CollectionConverters.asScala(
                              java.util.List.of(conf, (1 - conf) * r.nextDouble()))
                          .toSeq(),
                      3 * Math.exp(0.2 * r.nextGaussian()),
                      false,
                      false,
                      r.nextInt(10) == 0 ? r.nextInt(10) : null,
                      "s-" + i,
                      null);
                },
            Encoders.row(TelemetryRows.SCHEMA))
        .write()
        .parquet(path);
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
