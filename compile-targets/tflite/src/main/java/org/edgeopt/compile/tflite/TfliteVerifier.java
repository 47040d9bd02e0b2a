package org.edgeopt.compile.tflite;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * Runs a compiled {@code .tflite} in the real TFLite interpreter and the QDQ ONNX model it came
 * from in ONNX Runtime on the same inputs, and measures how far they differ.
 *
 * <p>The reference runs at ONNX Runtime's BASIC optimization level, so it computes exactly what
 * the QDQ graph says (float arithmetic between QuantizeLinear/DequantizeLinear pairs), not a
 * fused integer kernel. Both models get bit-identical int8 inputs: the TFLite session quantizes
 * the same way QuantizeLinear does. Differences are counted in int8 steps of the output scale;
 * integer kernels that round once where the QDQ graph rounds in float may differ by one step.
 */
public final class TfliteVerifier {
  private TfliteVerifier() {}

  /** Compares the two models on the first {@code limit} samples of {@code data}. */
  public static VerificationReport verify(Path onnx, Path tflite, Dataset data, int limit)
      throws EdgeoptException {
    try (InferenceSession ref = reference(onnx);
        InferenceSession cand =
            new TfliteRuntime().open(tflite, SessionOptions.defaults().withThreads(1))) {
      Tally t = new Tally(outputScale(tflite));
      String in = ref.inputNames().get(0);
      Iterator<Batch> it = data.batches(BatchRunner.batchSize(ref, 32), limit);
      while (it.hasNext()) {
        Batch b = it.next();
        compare(ref, cand, Map.of(in, b.input().withName(in)), b.labels(), t);
      }
      return t.report(data.describe());
    }
  }

  /**
   * Compares the two models on {@code samples} random inputs drawn uniformly from the input's
   * int8 grid (every value the quantized input can take, equally likely).
   */
  public static VerificationReport verifyRandom(Path onnx, Path tflite, int samples, long seed)
      throws EdgeoptException {
    TfliteModel m = TfliteFlatbuffers.read(tflite);
    TfliteModel.Tensor input = m.tensor(m.inputs().get(0));
    TfliteModel.Quant q = input.quant();
    if (q == null) {
      throw EdgeoptException.invalid(tflite + ": input '" + input.name() + "' is not quantized");
    }
    boolean unsigned = input.type() == org.tensorflow.lite.schema.TensorType.UINT8;
    try (InferenceSession ref = reference(onnx);
        InferenceSession cand =
            new TfliteRuntime().open(tflite, SessionOptions.defaults().withThreads(1))) {
      Tally t = new Tally(outputScale(tflite));
      String in = ref.inputNames().get(0);
      TensorType type = cand.inputTypes().get(cand.inputNames().get(0));
      long[] shape = type.shape().sizes();
      Random r = new Random(seed);
      int[] noLabels = new int[(int) Math.max(1, shape[0])];
      java.util.Arrays.fill(noLabels, -1);
      for (int s = 0; s < samples; s++) {
        int n = (int) count(shape);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
          int v = unsigned ? r.nextInt(256) : r.nextInt(256) - 128;
          x[i] = (float) ((v - q.zeroPoint()) * (double) q.scale());
        }
        compare(ref, cand, Map.of(in, Tensor.ofFloats(in, shape, x)), noLabels, t);
      }
      return t.report("random int8 inputs (seed " + seed + ")");
    }
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= Math.max(1, d);
    }
    return n;
  }

  private static InferenceSession reference(Path onnx) throws EdgeoptException {
    return OrtRuntime.get()
        .open(
            onnx,
            SessionOptions.defaults()
                .withThreads(1)
                .withOptimization(SessionOptions.Optimization.BASIC));
  }

  private static float outputScale(Path tflite) throws EdgeoptException {
    TfliteModel m = TfliteFlatbuffers.read(tflite);
    TfliteModel.Quant q = m.tensor(m.outputs().get(0)).quant();
    if (q == null) {
      throw EdgeoptException.invalid(
          tflite + ": output '" + m.tensor(m.outputs().get(0)).name() + "' is not quantized");
    }
    return q.scale();
  }

  private static void compare(
      InferenceSession ref, InferenceSession cand, Map<String, Tensor> in, int[] labels, Tally t)
      throws EdgeoptException {
    String outName = ref.outputNames().get(0);
    Tensor a = ref.run(in, List.of(outName)).get(outName);
    String candName = cand.outputNames().contains(outName) ? outName : cand.outputNames().get(0);
    Tensor b = cand.run(in, List.of(candName)).get(candName);
    float[] fa = a.toFloats();
    float[] fb = b.toFloats();
    if (fa.length != fb.length) {
      throw EdgeoptException.invalid(
          "output '"
              + outName
              + "': ONNX Runtime gives "
              + a.type()
              + ", TFLite gives "
              + b.type());
    }
    int batch = labels.length;
    t.add(fa, fb, batch, labels);
  }

  /** Accumulates the comparison figures. */
  private static final class Tally {
    private final double scale;
    private int samples;
    private int agree;
    private int tied;
    private double maxSteps;
    private double sumSteps;
    private long elements;
    private long withinOne;
    private int labelled;
    private int refCorrect;
    private int candCorrect;

    Tally(float scale) {
      this.scale = scale;
    }

    void add(float[] a, float[] b, int batch, int[] labels) {
      int per = a.length / batch;
      for (int s = 0; s < batch; s++) {
        int ta = BatchRunner.argmax(a, s * per, per);
        int tb = BatchRunner.argmax(b, s * per, per);
        samples++;
        agree += ta == tb ? 1 : 0;
        // Int8 outputs tie often (one step of the logits' scale); a 1-step difference at a tie
        // moves the lowest-index argmax without either model being wrong.
        double half = scale / 2;
        if (ta != tb
            && (a[s * per + tb] >= a[s * per + ta] - half
                || b[s * per + ta] >= b[s * per + tb] - half)) {
          tied++;
        }
        if (s < labels.length && labels[s] >= 0) {
          labelled++;
          refCorrect += ta == labels[s] ? 1 : 0;
          candCorrect += tb == labels[s] ? 1 : 0;
        }
        for (int i = s * per; i < (s + 1) * per; i++) {
          double steps = Math.abs(a[i] - b[i]) / scale;
          maxSteps = Math.max(maxSteps, steps);
          sumSteps += steps;
          elements++;
          withinOne += steps <= 1.0 + 1e-3 ? 1 : 0;
        }
      }
    }

    VerificationReport report(String data) {
      return new VerificationReport(
          data,
          samples,
          agree,
          tied,
          Math.rint(maxSteps * 1000) / 1000,
          elements == 0 ? 0 : sumSteps / elements,
          elements == 0 ? 0 : (double) withinOne / elements,
          labelled,
          refCorrect,
          candCorrect,
          OrtRuntime.get().name() + " (BASIC optimization, QDQ as written)",
          new TfliteRuntime().name());
    }
  }
}
