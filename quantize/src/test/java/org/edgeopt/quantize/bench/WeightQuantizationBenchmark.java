package org.edgeopt.quantize.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.edgeopt.quantize.WeightQuantizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Rint;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Per-channel symmetric int8 weight quantization of SqueezeNet-size tensors: the plain Java
 * loop of {@link WeightQuantizer} against the same computation in ND4J (abs-max per channel,
 * divide by the per-channel scale, round half to even, clamp to [-127, 127], cast to int8).
 * Whichever is faster goes on the quantizer's main code path.
 *
 * <p>Run: {@code java -cp <test classpath> org.edgeopt.quantize.bench.WeightQuantizationBenchmark}
 * (short iterations: this is a shared two-core machine).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class WeightQuantizationBenchmark {
  /** SqueezeNet weight shapes: conv10 (the largest), fire9 expand3x3, and SqueezeNet 1.0's conv1 (the shared 1.1-layout model's is 64x3x3x3). */
  @Param({"1000x512x1x1", "256x64x3x3", "96x3x7x7"})
  public String shape;

  private long[] dims;
  private float[] weights;
  private INDArray matrix;

  @Setup(Level.Trial)
  public void setUp() {
    String[] p = shape.split("x");
    dims = new long[p.length];
    int n = 1;
    for (int i = 0; i < p.length; i++) {
      dims[i] = Long.parseLong(p[i]);
      n *= (int) dims[i];
    }
    Random r = new Random(42);
    weights = new float[n];
    for (int i = 0; i < n; i++) {
      weights[i] = (float) (r.nextGaussian() * 0.05);
    }
    matrix = Nd4j.createFromArray(weights).reshape(dims[0], n / dims[0]);
    byte[] a = plainLoop();
    byte[] b = nd4j();
    int differ = 0;
    for (int i = 0; i < a.length; i++) {
      differ += a[i] != b[i] ? 1 : 0;
    }
    if (differ != 0) {
      throw new IllegalStateException(
          "ND4J and the plain loop disagree on " + differ + " of " + a.length + " values");
    }
  }

  @Benchmark
  public byte[] plainLoop() {
    try {
      return WeightQuantizer.perChannel(weights, dims, 0, "benchmark").values();
    } catch (org.edgeopt.core.EdgeoptException e) {
      throw new IllegalStateException(e);
    }
  }

  @Benchmark
  public byte[] nd4j() {
    INDArray absMax = Transforms.abs(matrix, true).max(1);
    INDArray scales = absMax.div(127f);
    BooleanIndexing.replaceWhere(scales, 1f, Conditions.equals(0));
    INDArray q = matrix.divColumnVector(scales);
    Nd4j.getExecutioner().exec(new Rint(q, q));
    q = Transforms.min(Transforms.max(q, -127f, false), 127f, false);
    return q.castTo(DataType.INT8).data().asBytes();
  }

  public static void main(String[] args) throws Exception {
    new Runner(
            new OptionsBuilder().include(WeightQuantizationBenchmark.class.getSimpleName()).build())
        .run();
  }
}
