package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The drift figures of real model outputs (the Fashion-MNIST sample, FP32 against a QDQ copy) do
 * not depend on the order of the batches nor on how they are split and merged, and survive the
 * binary form exactly.
 */
class DriftCodecTest {
  private static final int BATCH = 16;
  private static final int SAMPLES = 320;
  private static SampleModel sample;

  /** Per batch: labels, reference output, candidate output. */
  private static final List<Object[]> batches = new ArrayList<>();

  @BeforeAll
  static void runBothModels() throws Exception {
    sample = SampleModels.fashionMnist();
    Graph fp32 = OnnxModels.read(sample.model());
    Preprocessing pre = Preprocessing.parse(sample.preprocess());
    Dataset calibration = Datasets.open(sample.calibration().images(), pre, null, null);
    Graph int8 =
        QdqCandidates.quantize(fp32, QdqCandidates.calibrate(fp32, calibration, 64), null, 1f);
    Dataset holdout = Datasets.open(sample.holdout().images(), pre, null, null);
    try (InferenceSession ref =
            OrtRuntime.get().open(fp32, SessionOptions.defaults().withThreads(1));
        InferenceSession cand =
            OrtRuntime.get().open(int8, SessionOptions.defaults().withThreads(1))) {
      String ro = ref.outputNames().get(0);
      String co = cand.outputNames().get(0);
      Iterator<Batch> it = holdout.batches(BATCH, SAMPLES);
      while (it.hasNext()) {
        Batch b = it.next();
        Tensor r = ref.run(ModelFeeds.feed(ref, b.input()), List.of(ro)).get(ro);
        Tensor c = cand.run(ModelFeeds.feed(cand, b.input()), List.of(co)).get(co);
        batches.add(new Object[] {b.labels(), r, c});
      }
    }
  }

  private static DriftAccumulator fresh() {
    return new DriftAccumulator(true, sample.classNames(), 0.5, "holdout");
  }

  private static void add(DriftAccumulator d, Object[] b) throws Exception {
    d.add((int[]) b[0], (Tensor) b[1], (Tensor) b[2]);
  }

  private static List<Object> figures(DriftAccumulator d) {
    return List.of(d.samples(), d.classification(), d.confidence(), d.outputs());
  }

  @Test
  void splitMergedAndReorderedGivesTheSameFigures() throws Exception {
    DriftAccumulator whole = fresh();
    for (Object[] b : batches) {
      add(whole, b);
    }
    // Three parts in sample order, each filled backwards, merged in order.
    List<DriftAccumulator> parts = List.of(fresh(), fresh(), fresh());
    for (int i = batches.size() - 1; i >= 0; i--) {
      add(parts.get(i * 3 / batches.size()), batches.get(i));
    }
    DriftAccumulator merged = parts.get(0);
    merged.merge(DriftCodec.decode(DriftCodec.encode(parts.get(1))));
    merged.merge(parts.get(2));
    assertEquals(SAMPLES, merged.samples());
    assertEquals(figures(whole), figures(merged));
    assertTrue(
        whole.classification().agreementPercent() < 100 || whole.outputs().maxAbsError() > 0,
        "the candidate differs at all");
  }

  @Test
  void binaryFormRoundTripsExactly() throws Exception {
    DriftAccumulator d = fresh();
    for (Object[] b : batches) {
      add(d, b);
    }
    byte[] bytes = DriftCodec.encode(d);
    DriftAccumulator back = DriftCodec.decode(bytes);
    assertEquals(figures(d), figures(back));
    assertArrayEquals(bytes, DriftCodec.encode(back));
    // An accumulator that saw nothing round-trips too, and merges as nothing.
    DriftAccumulator empty = DriftCodec.decode(DriftCodec.encode(fresh()));
    empty.merge(back);
    assertEquals(figures(d), figures(empty));
  }

  @Test
  void refusesAnotherVersionAnotherMagicAndACutShortBuffer() throws Exception {
    DriftAccumulator d = fresh();
    add(d, batches.get(0));
    byte[] bytes = DriftCodec.encode(d);
    byte[] version = bytes.clone();
    ByteBuffer.wrap(version).putInt(4, DriftCodec.VERSION + 1);
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> DriftCodec.decode(version))
            .getMessage()
            .contains("version " + (DriftCodec.VERSION + 1)));
    byte[] magic = bytes.clone();
    magic[0] = 'X';
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> DriftCodec.decode(magic))
            .getMessage()
            .contains("magic"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> DriftCodec.decode(Arrays.copyOf(bytes, bytes.length - 9)))
            .getMessage()
            .contains("cut short"));
  }
}
