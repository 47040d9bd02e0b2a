package org.edgeopt.runtime.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.DataSplit;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bundled sample model's TorchScript copy, run through DJL's PyTorch engine, predicts the classes its ONNX export predicts. */
class SampleModelTorchScriptTest {

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
  void torchScriptCopyAgreesWithTheOnnxModel(String name) throws Exception {
    SampleModel s = SampleModels.get(name);
    Dataset data = holdout(s);
    List<int[]> onnx = new ArrayList<>();
    try (InferenceSession session =
        OrtRuntime.get().open(s.model(), SessionOptions.defaults().withThreads(2))) {
      BatchRunner.run(
          session, data, 100, Integer.MAX_VALUE, (b, out) -> onnx.add(BatchRunner.top1(out)));
    }
    int same = 0;
    int total = 0;
    int batch = 0;
    try (InferenceSession torch =
        new TorchScriptRuntime(List.of(s.inputName()))
            .open(s.torchscript(), SessionOptions.defaults().withThreads(2))) {
      var it = data.batches(100);
      while (it.hasNext()) {
        Batch b = it.next();
        int[] p =
            BatchRunner.top1(
                torch.run(Map.of(s.inputName(), b.input().withName(s.inputName()))).get("output0"));
        int[] q = onnx.get(batch++);
        for (int i = 0; i < p.length; i++) {
          same += p[i] == q[i] ? 1 : 0;
          total++;
        }
      }
    }
    assertEquals(s.fp32HoldoutTotal(), total);
    // The issue asks for >= 99.9% agreement; float differences between the engines are ~1e-5.
    assertTrue(
        same >= Math.ceil(0.999 * total),
        name + ": TorchScript agrees on " + same + " of " + total);
  }
}
