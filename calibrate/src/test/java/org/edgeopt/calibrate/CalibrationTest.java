package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class CalibrationTest {
  private static final Graph MODEL = TestModels.smallCnn(13);
  private static final List<String> ACTIVATIONS =
      List.of("input", "c1", "b1", "r1", "d1", "k1", "a1", "g1", "f1", "logits");

  private static CalibrationConfig config(CalibrationMethod m) {
    return CalibrationConfig.of(m).withBatchSize(8);
  }

  @Test
  void capturesTheInputAndEveryActivationInGraphOrder() throws EdgeoptException {
    CalibrationStatistics s =
        Calibration.collect(
            MODEL,
            TensorDataset.smallCnn(7, 16),
            config(CalibrationMethod.MINMAX),
            CalibrationProgress.NONE);
    assertEquals(
        ACTIVATIONS, List.copyOf(s.tensors().keySet()), "weights and biases are not activations");
    assertEquals(16, s.samples());
    s.tensors().values().forEach(t -> assertEquals(16, t.samples(), t.name()));
    assertEquals(16 * 4 * 8 * 8, s.tensor("c1").count());
  }

  @Test
  void rangesMatchAPlainFp32Run() throws EdgeoptException {
    TensorDataset data = TensorDataset.smallCnn(7, 64);
    CalibrationTable t = Calibration.calibrate(MODEL, data, config(CalibrationMethod.MINMAX));
    Tensor input = TestModels.smallCnnInput(7, 64);
    float[] in = input.toFloats();
    float[] logits;
    try (InferenceSession s =
        OrtRuntime.get()
            .open(
                MODEL,
                SessionOptions.defaults().withOptimization(SessionOptions.Optimization.NONE))) {
      logits = s.run(Map.of("input", input)).get("logits").toFloats();
    }
    assertEquals(min(in), t.range("input").min(), "the input range is exact");
    assertEquals(max(in), t.range("input").max());
    // Tolerance: kernels at different optimization levels may round differently: 1e-5 relative.
    assertEquals(min(logits), t.range("logits").min(), 1e-5 * Math.abs(min(logits)));
    assertEquals(max(logits), t.range("logits").max(), 1e-5 * Math.abs(max(logits)));
    assertEquals(0f, t.range("r1").min(), "a ReLU output starts at 0");
    assertTrue(t.range("k1").max() <= 6f, "a Clip(0, 6) output stays below 6");
    assertEquals(64, t.samples());
    assertEquals("minmax", t.method());
  }

  private static float min(float[] v) {
    float m = Float.POSITIVE_INFINITY;
    for (float x : v) {
      m = Math.min(m, x);
    }
    return m;
  }

  private static float max(float[] v) {
    float m = Float.NEGATIVE_INFINITY;
    for (float x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  @Test
  void groupedAndPerBatchFoldingGiveTheSameStatistics() throws EdgeoptException {
    // Every batch handed over from the pinned buffers (threshold 0) or copied and grouped (no
    // threshold).
    TensorDataset data = TensorDataset.smallCnn(13, 40);
    CalibrationConfig c = config(CalibrationMethod.ENTROPY).withBatchSize(3);
    CalibrationStatistics direct =
        ActivationCapture.collect(
            MODEL,
            data,
            c,
            CalibrationProgress.NONE,
            null,
            "test",
            OrtSession.SessionOptions.OptLevel.ALL_OPT,
            new ActivationCapture.Tuning(0, true, StatisticsFolder.Balancing.NEVER));
    List<Long> progress = new ArrayList<>();
    CalibrationStatistics grouped =
        ActivationCapture.collect(
            MODEL,
            data,
            c,
            (done, total) -> progress.add(done),
            null,
            "test",
            OrtSession.SessionOptions.OptLevel.ALL_OPT,
            new ActivationCapture.Tuning(
                Integer.MAX_VALUE, true, StatisticsFolder.Balancing.NEVER));
    assertEquals(direct, grouped);
    assertEquals(40, grouped.samples());
    assertEquals(14, progress.size(), "progress after every batch, grouped or not: " + progress);
    assertEquals(40L, progress.get(progress.size() - 1));
  }

  @Test
  void whoeverFoldsABatchTheStatisticsAreTheSame() throws EdgeoptException {
    // The caller folding every other hand-off into its own statistics, merged at the end, against
    // the statistics thread folding everything: straight from the pinned buffers (threshold 0) and
    // in groups of about two batches (about 1,350 values per sample, 3 samples per batch).
    TensorDataset data = TensorDataset.smallCnn(17, 40);
    CalibrationConfig c = config(CalibrationMethod.ENTROPY).withBatchSize(3);
    for (int groupValues : new int[] {0, 6_000}) {
      CalibrationStatistics alone =
          ActivationCapture.collect(
              MODEL,
              data,
              c,
              CalibrationProgress.NONE,
              null,
              "test",
              OrtSession.SessionOptions.OptLevel.ALL_OPT,
              new ActivationCapture.Tuning(groupValues, true, StatisticsFolder.Balancing.NEVER));
      for (StatisticsFolder.Balancing b :
          List.of(StatisticsFolder.Balancing.EVERY_OTHER, StatisticsFolder.Balancing.WHEN_BEHIND)) {
        List<Long> progress = new ArrayList<>();
        CalibrationStatistics shared =
            ActivationCapture.collect(
                MODEL,
                data,
                c,
                (done, total) -> progress.add(done),
                null,
                "test",
                OrtSession.SessionOptions.OptLevel.ALL_OPT,
                new ActivationCapture.Tuning(groupValues, true, b));
        assertEquals(alone, shared, b + ", group threshold " + groupValues);
        assertEquals(14, progress.size(), "one report per batch: " + progress);
        for (int i = 1; i < progress.size(); i++) {
          assertTrue(progress.get(i) > progress.get(i - 1), "samples done only grow: " + progress);
        }
        assertEquals(40L, progress.get(progress.size() - 1));
      }
    }
  }

  @Test
  void derivedStatisticsEqualCapturedOnes() throws EdgeoptException {
    // r1 = Relu(b1) and f1 = Flatten(g1) are derived, not captured; capturing them gives the same.
    assertEquals(
        List.of(
            new ActivationCapture.Derived("r1", "b1", true),
            new ActivationCapture.Derived("f1", "g1", false)),
        ActivationCapture.derivedTensors(MODEL, ActivationCapture.tensorsToCalibrate(MODEL)));
    TensorDataset data = TensorDataset.smallCnn(5, 48);
    for (CalibrationMethod m : List.of(CalibrationMethod.MINMAX, CalibrationMethod.ENTROPY)) {
      CalibrationConfig c = config(m).withBatchSize(5);
      CalibrationStatistics derived =
          ActivationCapture.collect(
              MODEL,
              data,
              c,
              CalibrationProgress.NONE,
              null,
              "test",
              OrtSession.SessionOptions.OptLevel.ALL_OPT,
              ActivationCapture.Tuning.DEFAULT);
      CalibrationStatistics captured =
          ActivationCapture.collect(
              MODEL,
              data,
              c,
              CalibrationProgress.NONE,
              null,
              "test",
              OrtSession.SessionOptions.OptLevel.ALL_OPT,
              new ActivationCapture.Tuning(
                  StatisticsFolder.GROUP_VALUES, false, StatisticsFolder.Balancing.WHEN_BEHIND));
      assertEquals(
          List.copyOf(captured.tensors().keySet()), List.copyOf(derived.tensors().keySet()));
      assertEquals(captured, derived, m.name());
      assertTrue(derived.tensor("b1").min() < 0, "the ReLU's input has negative values to drop");
    }
  }

  @Test
  void aModelOfOnlyDerivedTensorsCalibrates() throws EdgeoptException {
    // Every activation but the input is derived: the capture must still fetch one (ONNX Runtime
    // refuses a run that fetches nothing), and the Reshape output has the input's range.
    GraphBuilder b = new GraphBuilder("reshape", 13);
    b.addInput(new Value("x", TensorType.of(DataType.FLOAT, 1, 1, 4, 4)));
    b.addInitializer(Tensor.ofLongs("s", new long[] {2}, new long[] {1, 16}));
    b.add("Reshape", "reshape", List.of("x", "s"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, 1, 16)));
    Tensor x = Tensor.ofFloats("x", new long[] {3, 1, 4, 4}, TestModels.random(3, 48, 2f));
    CalibrationTable t =
        Calibration.calibrate(
            b.build(), TensorDataset.of("x", x), config(CalibrationMethod.MINMAX).withBatchSize(1));
    assertEquals(min(x.toFloats()), t.range("y").min());
    assertEquals(max(x.toFloats()), t.range("y").max());
    assertEquals(t.range("x").min(), t.range("y").min());
  }

  @Test
  void optimizedCaptureSeesTheSameValuesAsAnUnoptimizedOne() throws EdgeoptException {
    TensorDataset data = TensorDataset.smallCnn(11, 32);
    CalibrationStatistics fast =
        ActivationCapture.collect(
            MODEL,
            data,
            config(CalibrationMethod.MINMAX),
            CalibrationProgress.NONE,
            null,
            "test",
            OrtSession.SessionOptions.OptLevel.ALL_OPT);
    CalibrationStatistics plain =
        ActivationCapture.collect(
            MODEL,
            data,
            config(CalibrationMethod.MINMAX),
            CalibrationProgress.NONE,
            null,
            "test",
            OrtSession.SessionOptions.OptLevel.NO_OPT);
    assertEquals(plain.tensors().keySet(), fast.tensors().keySet());
    for (String name : plain.tensors().keySet()) {
      TensorStatistics a = plain.tensor(name);
      TensorStatistics b = fast.tensor(name);
      // Tolerance: 1e-5 of the magnitude, for kernels that sum in another order.
      assertEquals(a.min(), b.min(), 1e-5 * Math.max(1, Math.abs(a.min())), name);
      assertEquals(a.max(), b.max(), 1e-5 * Math.max(1, Math.abs(a.max())), name);
      assertEquals(a.count(), b.count(), name);
    }
  }

  @Test
  void halvesCalibratedSeparatelyAndMergedGiveTheTableOfTheWhole() throws EdgeoptException {
    TensorDataset data = TensorDataset.smallCnn(7, 64);
    CalibrationConfig cfg = config(CalibrationMethod.ENTROPY).withHistogram(true);
    CalibrationStatistics whole = Calibration.collect(MODEL, data, cfg, CalibrationProgress.NONE);
    CalibrationStatistics first =
        Calibration.collect(MODEL, data.slice(0, 24), cfg, CalibrationProgress.NONE);
    CalibrationStatistics second =
        Calibration.collect(MODEL, data.slice(24, 64), cfg, CalibrationProgress.NONE);
    CalibrationStatistics merged = second.merge(first);
    assertEquals(whole.samples(), merged.samples());
    for (String name : whole.tensors().keySet()) {
      assertEquals(whole.tensor(name), merged.tensor(name), name);
    }
    for (CalibrationMethod m : CalibrationMethod.values()) {
      CalibrationConfig c = cfg.withMethod(m);
      Map<String, String> p = Map.of();
      CalibrationTable a = Calibration.table(whole, c, "model", "data", p);
      CalibrationTable b = Calibration.table(merged, c, "model", "data", p);
      assertEquals(a, b, m.id());
      assertEquals(a.toJson(), b.toJson(), m.id());
    }
    assertNotEquals(
        Calibration.table(whole, cfg, "m", "d", Map.of()).tensors(),
        Calibration.table(first, cfg, "m", "d", Map.of()).tensors(),
        "a half alone sees other ranges: the merge matters");
  }

  @Test
  void samplesLimitAndProgressAreRespected() throws EdgeoptException {
    List<long[]> progress = new ArrayList<>();
    CalibrationStatistics s =
        Calibration.collect(
            MODEL,
            TensorDataset.smallCnn(7, 64),
            config(CalibrationMethod.MINMAX).withSamples(10).withBatchSize(4),
            (done, total) -> progress.add(new long[] {done, total}));
    assertEquals(10, s.samples());
    assertEquals(List.of(4L, 8L, 10L), progress.stream().map(p -> p[0]).toList());
    progress.forEach(p -> assertEquals(10, p[1]));
  }

  @Test
  void targetDefaultsComeFromTheProfile() throws EdgeoptException {
    CalibrationConfig trt = CalibrationConfig.forTarget(TargetProfiles.get("tensorrt-ampere"));
    assertEquals(TargetProfiles.get("tensorrt-ampere").defaultCalibration(), trt.method().id());
    assertEquals(TargetProfiles.get("tensorrt-ampere").symmetricActivations(), trt.symmetric());
    CalibrationConfig ort = CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"));
    assertEquals(TargetProfiles.get("onnxruntime-cpu").defaultCalibration(), ort.method().id());
    assertEquals("onnxruntime-cpu", ort.describe().get("config.target"));
  }

  @Test
  void nanWeightIsRejectedNamingTheWeight() {
    Graph broken =
        MODEL.toBuilder()
            .addInitializer(
                Tensor.ofFloats(
                    "dw.w", new long[] {4, 1, 3, 3}, withNaN(TestModels.random(3, 36, 0.5f), 5)))
            .build();
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Calibration.calibrate(
                    broken, TensorDataset.smallCnn(7, 8), config(CalibrationMethod.MINMAX)));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "model 'small_cnn': weight 'dw.w' holds NaN at element 5 of 36: expected finite numbers; the model file is"
            + " corrupt or was exported from a diverged training run",
        e.getMessage());
  }

  private static float[] withNaN(float[] v, int at) {
    v[at] = Float.NaN;
    return v;
  }

  @Test
  void nanActivationIsRejectedNamingTheTensor() {
    // x / x is NaN where x is 0: a finite input that a node turns into NaN.
    GraphBuilder b = new GraphBuilder("div", 13);
    b.addInput(new Value("x", new TensorType(DataType.FLOAT, Shape.of(-1, 4))));
    b.add("Div", "ratio", List.of("x", "x"), List.of("q"));
    b.add("Relu", "relu", List.of("q"), List.of("y"));
    b.addOutput(new Value("y", TensorType.of(DataType.FLOAT, -1, 4)));
    Graph g = b.build();
    float[] v = {1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 2, 3};
    TensorDataset data = new TensorDataset("div", new long[] {3, 4}, v);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Calibration.calibrate(
                    g, data, CalibrationConfig.of(CalibrationMethod.ENTROPY).withBatchSize(2)));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "model 'div': tensor 'q' holds NaN or infinite values for samples 3..3 of tensors div (3 samples):"
            + " expected finite activations; check the data and its preprocessing",
        e.getMessage());
  }

  @Test
  void nanInputIsRejectedNamingTheInput() {
    float[] v = TestModels.smallCnnInput(7, 4).toFloats();
    v[70] = Float.NaN;
    TensorDataset data = new TensorDataset("nan", new long[] {4, 1, 8, 8}, v);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Calibration.calibrate(
                    MODEL, data, config(CalibrationMethod.MINMAX).withBatchSize(2)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "model 'small_cnn': tensor 'input' holds NaN or infinite values for samples 1..2 of"),
        e.getMessage());
  }

  @Test
  void samplesOfTheWrongShapeAreRejectedBeforeRunning() {
    TensorDataset data = new TensorDataset("small", new long[] {2, 1, 4, 4}, new float[32]);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Calibration.calibrate(MODEL, data, config(CalibrationMethod.MINMAX)));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "tensors small (2 samples): samples are [1, 4, 4] after preprocessing, but input 'input' of model 'small_cnn'"
            + " expects [batch, 1, 8, 8] (batch first): adjust --preprocess (resize, crop, channels, layout)",
        e.getMessage());
  }

  @Test
  void modelsWithSeveralInputsAreRejected() {
    Graph two =
        MODEL.toBuilder().addInput(new Value("extra", TensorType.of(DataType.FLOAT, 1))).build();
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () ->
                Calibration.calibrate(
                    two, TensorDataset.smallCnn(7, 4), config(CalibrationMethod.MINMAX)));
    assertEquals(
        "model 'small_cnn': expected a model with one input to feed the data to, found 2 [input, extra]",
        e.getMessage());
  }

  @Test
  void everyMethodGivesARangeInsideTheObservedOne() throws EdgeoptException {
    CalibrationStatistics s =
        Calibration.collect(
            MODEL,
            TensorDataset.smallCnn(3, 64),
            config(CalibrationMethod.MINMAX).withHistogram(true),
            CalibrationProgress.NONE);
    for (CalibrationMethod m : CalibrationMethod.values()) {
      for (Map.Entry<String, TensorRange> e : s.ranges(m.calibrator(99.99, false)).entrySet()) {
        TensorRange r = e.getValue();
        String what = m.id() + " " + e.getKey();
        assertTrue(
            r.min() >= r.observedMin() && r.max() <= r.observedMax() && r.min() <= r.max(),
            what + ": " + r);
        assertTrue(
            r.max() - r.min() > 0.25f * (r.observedMax() - r.observedMin()),
            what + " keeps a quarter of the range: " + r);
        assertEquals(m.id(), r.method());
      }
    }
  }
}
