package org.edgeopt.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.DataSplit;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bundled sample model scores exactly its recorded FP32 holdout accuracy in ONNX Runtime
 * (the TorchScript copy is checked in {@code runtime-torchscript}).
 */
class SampleModelAccuracyTest {

  static List<String> samples() {
    return SampleModels.names();
  }

  private static Dataset holdout(SampleModel s) throws Exception {
    DataSplit h = s.holdout();
    Path data = h.format() == DataSplit.Format.IDX ? h.images().getParent() : h.file();
    return Datasets.open(
        data, Preprocessing.parse(s.preprocess()), s.classNames(), h.labelColumn());
  }

  @ParameterizedTest
  @MethodSource("samples")
  void onnxRuntimeScoresTheRecordedAccuracyExactly(String name) throws Exception {
    SampleModel s = SampleModels.get(name);
    Dataset data = holdout(s);
    assertEquals(s.fp32HoldoutTotal(), data.size());
    try (InferenceSession session =
        OrtRuntime.get().open(s.model(), SessionOptions.defaults().withThreads(2))) {
      int correct = BatchRunner.correctTop1(session, data, 100, Integer.MAX_VALUE);
      assertEquals(
          s.fp32HoldoutCorrect(), correct, name + ": correct top-1 on the committed holdout");
    }
  }
}
