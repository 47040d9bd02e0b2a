package org.edgeopt.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.deploy.BundlePackager;
import org.edgeopt.deploy.Monitor;
import org.edgeopt.deploy.MonitorConfig;
import org.edgeopt.deploy.MonitorReport;
import org.edgeopt.deploy.MonitorReportWriter;
import org.edgeopt.deploy.MonitorThresholds;
import org.edgeopt.deploy.OpenedBundle;
import org.edgeopt.deploy.PackageRequest;
import org.edgeopt.deploy.SigningKeys;
import org.edgeopt.deploy.TelemetryGenerator;
import org.edgeopt.deploy.TelemetryStatistics;
import org.edgeopt.samples.SampleModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code monitor} on Spark ({@code local[2]}) gives exactly the one-machine report, alerts
 * included, over Parquet telemetry and over the same records as JSON Lines and CSV, whatever the
 * partitioning. The telemetry is the deploy module's generator: the Fashion-MNIST sample model run
 * in ONNX Runtime on shifted holdout images, on a fleet where five devices drift.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkMonitorTest {
  /** Records per device and window: few, to keep the test short, so devices are judged from 40 on. */
  private static final int PER_WINDOW = 60;

  private static final MonitorThresholds THRESHOLDS = minSamples(40);

  @TempDir static Path dir;
  private static SparkSession spark;
  private static OpenedBundle bundle;
  private static List<Path> files;
  private static Path parquet;
  private static MonitorReport local;

  @BeforeAll
  static void start() throws Exception {
    spark = TestSpark.session("local[2]");
    TelemetryGenerator generator = new TelemetryGenerator();
    SampleModel s = generator.sample();
    Path keys = dir.resolve("keys");
    SigningKeys.write(SigningKeys.generate(), keys);
    Path bundleFile = dir.resolve("fashion-mnist.bundle.zip");
    BundlePackager.write(
        new PackageRequest(
            s.model(),
            List.of(),
            s.name(),
            "1.0.0",
            "onnxruntime-cpu",
            s.holdout().images().getParent(),
            s.preprocess(),
            s.classNames(),
            null,
            null,
            null,
            keys.resolve(SigningKeys.PRIVATE_FILE)),
        bundleFile);
    bundle =
        OpenedBundle.open(
            bundleFile, SigningKeys.readPublic(keys.resolve(SigningKeys.PUBLIC_FILE)));
    // telemetry-a.jsonl (the first half of the fleet) and telemetry-b.csv (the rest)
    files = generator.generate(dir.resolve("t"), TelemetryGenerator.FLEET, PER_WINDOW, 3, 1, 18);
    local =
        Monitor.run(
            bundle.baseline(), bundle.model(), new MonitorConfig(files, 60, THRESHOLDS, 20, null));
    parquet = dir.resolve("telemetry.parquet");
    toParquet(files.get(0), files.get(1)).write().parquet(parquet.toString());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** The generator's two files as one typed Parquet table ({@link TelemetryRows#SCHEMA}), written by Spark. */
  private static Dataset<Row> toParquet(Path jsonl, Path csv) {
    Dataset<Row> json = spark.read().schema(TelemetryRows.SCHEMA).json(jsonl.toString());
    Dataset<Row> text = spark.read().option("header", "true").csv(csv.toString());
    Column[] typed =
        java.util.Arrays.stream(TelemetryRows.SCHEMA.fields())
            .map(
                f -> {
                  boolean present = List.of(text.columns()).contains(f.name());
                  Column c = present ? col(f.name()) : lit(null);
                  if (f.name().equals("scores") && present) {
                    c = split(c, ";");
                  }
                  return c.cast(f.dataType()).as(f.name());
                })
            .toArray(Column[]::new);
    return json.unionByName(text.select(typed));
  }

  private static MonitorThresholds minSamples(int n) {
    MonitorThresholds d = MonitorThresholds.defaults();
    return new MonitorThresholds(
        n,
        d.alpha(),
        d.maxPsi(),
        d.maxMeanConfidenceDrop(),
        d.maxClassMixDistance(),
        d.maxLatencyRatio(),
        d.maxFailureRate(),
        d.maxAccuracyDrop(),
        d.minLabelled());
  }

  private static TelemetryStatistics empty() {
    return new TelemetryStatistics(bundle.baseline().classes(), 60, null, 20);
  }

  private static MonitorReport onSpark(List<String> paths, int partitions) throws EdgeoptException {
    return SparkMonitor.run(
        spark, bundle.baseline(), bundle.model(), THRESHOLDS, paths, null, partitions, empty());
  }

  private static void assertSameReport(MonitorReport spark, String name) throws Exception {
    assertEquals(local, spark);
    List<Path> a = MonitorReportWriter.write(local, dir.resolve(name + "-local"));
    List<Path> b = MonitorReportWriter.write(spark, dir.resolve(name + "-spark"));
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(
          Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), b.get(i).toString());
    }
  }

  @Test
  @Order(1)
  void theScenarioAlerts() {
    assertTrue(
        local.firstDrift().size() >= 3,
        "drifting devices must alert, or equal reports prove little: " + local.firstDrift());
    assertEquals(TelemetryGenerator.FLEET.size() * (long) PER_WINDOW * 3, local.records());
    assertFalse(local.uncertain().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7})
  @Order(2)
  void parquetGivesTheOneMachineReport(int partitions) throws Exception {
    assertSameReport(onSpark(List.of(parquet.toString()), partitions), "parquet-" + partitions);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7})
  @Order(3)
  void jsonLinesAndCsvGiveTheOneMachineReport(int partitions) throws Exception {
    assertSameReport(
        onSpark(files.stream().map(Path::toString).toList(), partitions), "text-" + partitions);
  }

  @Test
  @Order(4)
  void aMalformedRecordIsInvalidInputNamingItsFile() throws Exception {
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"device\":\"d\",\"ts\":1,\"predicted\":1,\"confidence\":1.5}\n");
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> onSpark(List.of(bad.toString()), 2));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(
        e.getMessage().contains("bad.jsonl") && e.getMessage().contains("confidence"),
        e.getMessage());
  }

  /** Last: the command stops the (shared) session when it is done. */
  @Test
  @Order(5)
  void theCommandWritesTheReportAndExitsFourOnAlert() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Path report = dir.resolve("cli");
    int code =
        SparkMain.run(
            new String[] {
              "monitor",
              "--bundle",
              dir.resolve("fashion-mnist.bundle.zip").toString(),
              "--telemetry",
              parquet.toString(),
              "--min-samples",
              "40",
              "--top-uncertain",
              "20",
              "--master",
              "local[2]",
              "--partitions",
              "3",
              "--report",
              report.toString()
            },
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    assertEquals(ExitCode.GATE_FAILED.code(), code, err.toString());
    List<Path> expected = MonitorReportWriter.write(local, dir.resolve("cli-local"));
    assertArrayEquals(
        Files.readAllBytes(expected.get(0)),
        Files.readAllBytes(report.resolve(expected.get(0).getFileName())));
    assertTrue(out.toString().startsWith("ALERT"), out.toString());
  }
}
