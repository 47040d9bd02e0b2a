package org.edgeopt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calibration and validation on a real cluster on this machine: Spark's {@code local-cluster[2,1,1024]} mode, a
 * standalone master and two workers whose executors are separate JVMs (each loading ONNX Runtime
 * itself), including one executor killed in the middle of the job.
 *
 * <p>The workers launch executors with Spark's launcher, which expects a Spark installation: a
 * home with {@code jars/} and the marker {@code launcher/target/scala-2.13}. The test makes an
 * empty one under {@code target/} and puts its own class path (Spark and edgeopt) on the
 * executors' class path instead, through a jar whose manifest lists it, which keeps the
 * executors' command line short. That matters: ONNX Runtime 1.29's native library crashes the JVM (SIGSEGV, exit
 * code 139) on this Linux host when the process's command line is longer than about 3,900 bytes,
 * and a class path of Spark's 200 jars spelled out is 18 KB (docs/scale-out.md). For the same
 * reason no Java options are added here: Spark adds its own Java 17 options to every executor.
 */
class SparkClusterTest {
  private static SparkSession spark;
  private static SampleModel sample;
  private static Path data;
  private static Preprocessing pre;
  private static CalibrationConfig cfg;
  private static String local;
  private static String classPath;

  @BeforeAll
  static void start() throws IOException, EdgeoptException {
    Path home = Path.of("target", "spark-home").toAbsolutePath();
    Files.createDirectories(home.resolve("jars"));
    Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
    System.setProperty("spark.testing", "true");
    System.setProperty("spark.test.home", home.toString());
    // Under spark.testing the standalone backend gives executors this JVM's java.class.path,
    // which surefire spells out in full (18 KB): hand it a jar whose manifest lists it instead.
    Path jar = pathingJar(Path.of("target", "executor-classpath.jar"));
    classPath = System.getProperty("java.class.path");
    System.setProperty("java.class.path", jar.toString());
    spark =
        SparkSession.builder()
            .master("local-cluster[2,1,1024]")
            .appName("edgeopt-spark-cluster-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.task.maxFailures", "4")
            .getOrCreate();
    sample = SampleModels.fashionMnist();
    data = sample.calibration().images().getParent();
    pre = Preprocessing.parse(sample.preprocess());
    cfg =
        CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"))
            .withBatchSize(16)
            .withSamples(320);
    local =
        Calibration.calibrate(sample.model(), data, pre, cfg, CalibrationProgress.NONE).toJson();
  }

  /**
   * Writes a jar whose manifest's Class-Path is this JVM's class path (surefire reports the whole
   * list in {@code java.class.path}), and returns it: a short command line for the executors.
   */
  static Path pathingJar(Path jar) throws IOException {
    StringBuilder cp = new StringBuilder();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!entry.isEmpty()) {
        cp.append(Path.of(entry).toAbsolutePath().toUri().toASCIIString()).append(' ');
      }
    }
    java.util.jar.Manifest m = new java.util.jar.Manifest();
    m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, cp.toString().strip());
    Files.createDirectories(jar.toAbsolutePath().getParent());
    new java.util.jar.JarOutputStream(Files.newOutputStream(jar), m)
        .close(); // the manifest is all there is
    return jar.toAbsolutePath();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    System.setProperty("java.class.path", classPath);
    System.clearProperty("spark.testing");
    System.clearProperty("spark.test.home");
  }

  @Test
  void twoExecutorJvmsGiveTheTableOfOneMachine() throws EdgeoptException {
    assertEquals(2, spark.sparkContext().getExecutorMemoryStatus().size() - 1 >= 0 ? 2 : 0);
    for (int partitions : new int[] {2, 7}) {
      assertEquals(
          local,
          SparkCalibration.calibrate(
                  spark, sample.model(), FileSource.of(data), pre, cfg, partitions)
              .toJson(),
          partitions + " partitions");
    }
  }

  @Test
  void anExecutorKilledMidJobChangesNothing() throws EdgeoptException, IOException {
    Path marker =
        Path.of("target", "killed-executor-" + ProcessHandle.current().pid()).toAbsolutePath();
    Files.deleteIfExists(marker);
    String table =
        SparkCalibration.calibrate(
                spark,
                sample.model(),
                FileSource.of(data),
                pre,
                cfg,
                5,
                job -> new KillOnce(job, marker.toString()))
            .toJson();
    assertTrue(Files.exists(marker), "an executor was killed");
    assertTrue(Files.readString(marker).startsWith("killed pid "), Files.readString(marker));
    assertEquals(local, table);
  }

  @Test
  void validationOnTwoExecutorJvmsWithOneKilledGivesTheFiguresOfOneMachine() throws Exception {
    // FP32 against its QDQ int8 model, calibrated and quantized here: real drift to compare.
    Path candidate = Path.of("target", "cluster-candidate.onnx").toAbsolutePath();
    org.edgeopt.core.onnx.OnnxModels.write(
        org.edgeopt.quantize.QdqQuantizer.quantize(
                org.edgeopt.core.onnx.OnnxModels.read(sample.model()),
                Calibration.calibrate(
                    sample.model(), data, pre, cfg.withSamples(64), CalibrationProgress.NONE),
                org.edgeopt.quantize.QuantizeConfig.defaults(),
                "model",
                "table")
            .graph(),
        candidate);
    org.edgeopt.validate.ValidationConfig config =
        org.edgeopt.validate.ValidationConfig.of(
                sample.model(), candidate, sample.holdout().images())
            .withPreprocess(sample.preprocess())
            .withClassNames(sample.classNames())
            .withBatchSize(16)
            .withLimit(320)
            .withLatency(0, 0)
            .withDiagnosisBatches(0);
    org.edgeopt.validate.ValidationReport one = org.edgeopt.validate.Validator.validate(config);
    Path marker =
        Path.of("target", "killed-validation-executor-" + ProcessHandle.current().pid())
            .toAbsolutePath();
    Files.deleteIfExists(marker);
    org.edgeopt.validate.ValidationReport cluster =
        SparkValidation.validate(
            spark,
            config,
            5,
            org.edgeopt.validate.ProgressListener.silent(),
            job -> new KillOnce(job, marker.toString()));
    assertTrue(Files.exists(marker), "an executor was killed");
    assertEquals(one.classification(), cluster.classification());
    assertEquals(one.confidence(), cluster.confidence());
    assertEquals(one.outputs(), cluster.outputs());
  }

  /** Halts the executor's JVM on the first task that reaches it (once per marker file), half way through its samples. */
  record KillOnce(PartitionJob job, String marker) implements PartitionJob {
    @Override
    public byte[] run(org.edgeopt.core.data.Dataset samples) throws EdgeoptException {
      try {
        Files.createFile(Path.of(marker));
      } catch (FileAlreadyExistsException e) {
        return job.run(samples);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      try {
        Files.writeString(
            Path.of(marker),
            "killed pid " + ProcessHandle.current().pid() + " running " + samples.describe());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      // Read half the partition first, so the kill lands in the middle of real work.
      var it = samples.batches(16, samples.size() / 2);
      while (it.hasNext()) {
        it.next();
      }
      Runtime.getRuntime().halt(137);
      return null;
    }
  }
}
