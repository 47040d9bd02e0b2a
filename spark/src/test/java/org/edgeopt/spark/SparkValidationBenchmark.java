package org.edgeopt.spark;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.cpu.HostCpu;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.quantize.QdqQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.ValidationConfig;
import org.edgeopt.validate.ValidationReport;
import org.edgeopt.validate.Validator;

/**
 * Validation throughput on Spark against the single-machine {@link Validator}, side by side in one
 * JVM: the Fashion-MNIST sample's 2,000 holdout images, FP32 against its QDQ int8 model (made
 * here), batch 32, one ONNX Runtime thread per session, no latency runs and no diagnosis (they run
 * on the driver either way). Prints samples/s for one machine and for Spark with 1 and 2 task slots,
 * and whether every figure matched. Not a test: run by hand (docs/benchmarks.md).
 */
public final class SparkValidationBenchmark {
  private SparkValidationBenchmark() {}

  public static void main(String[] args) throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    System.out.println(
        "CPU: "
            + HostCpu.current().describe()
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores; load average "
            + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Path candidate = java.nio.file.Files.createTempFile("fashion-mnist.int8", ".onnx");
    OnnxModels.write(
        QdqQuantizer.quantize(
                OnnxModels.read(sample.model()),
                Calibration.calibrate(
                    sample.model(),
                    sample.calibration().images().getParent(),
                    Preprocessing.parse(sample.preprocess()),
                    CalibrationConfig.of(CalibrationMethod.MINMAX).withSamples(64),
                    CalibrationProgress.NONE),
                QuantizeConfig.defaults(),
                "model",
                "table")
            .graph(),
        candidate);
    ValidationConfig config =
        ValidationConfig.of(sample.model(), candidate, sample.holdout().images())
            .withPreprocess(sample.preprocess())
            .withClassNames(sample.classNames())
            .withBatchSize(32)
            .withLatency(0, 0)
            .withDiagnosisBatches(0);
    int n = sample.holdout().count();
    Validator.validate(config.withLimit(256)); // warm-up: class loading, ONNX Runtime, the JIT
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    boolean identical = true;
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      ValidationReport local = Validator.validate(config);
      best[0] = Math.min(best[0], (System.nanoTime() - t0) / 1e9);
      for (int slots = 1; slots <= 2; slots++) {
        SparkSession spark = TestSpark.session("local[" + slots + "]");
        try {
          SparkValidation.validate(
              spark, config.withLimit(256), slots, ProgressListener.silent()); // warm-up
          long s0 = System.nanoTime();
          ValidationReport r =
              SparkValidation.validate(spark, config, slots, ProgressListener.silent());
          best[slots] = Math.min(best[slots], (System.nanoTime() - s0) / 1e9);
          identical &=
              r.classification().equals(local.classification())
                  && r.confidence().equals(local.confidence())
                  && r.outputs().equals(local.outputs());
        } finally {
          spark.stop();
        }
      }
    }
    System.out.printf(Locale.ROOT, "one machine: %.2f s = %.0f samples/s%n", best[0], n / best[0]);
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
    System.out.println("figures identical to one machine's in every run: " + identical);
  }
}
