package org.edgeopt.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;

class OrtRuntimeTest {
  private static final Graph MODEL = TestModels.smallCnn(13);

  @Test
  void reusedInputBuffersNeverMixRunsUpWhateverTheBatchSizeOrThread() throws Exception {
    // Input buffers are pooled per session: batches of different sizes, one after another and
    // from several threads at once, must each get the outputs of their own input.
    List<Tensor> inputs = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      inputs.add(TestModels.smallCnnInput(i, 1 + i % 5));
    }
    try (InferenceSession s =
        OrtRuntime.get().open(MODEL, SessionOptions.defaults().withThreads(1))) {
      List<float[]> sequential = new ArrayList<>();
      for (Tensor in : inputs) {
        sequential.add(s.run(Map.of("input", in)).get("logits").toFloats());
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        for (int round = 0; round < 5; round++) {
          List<Future<float[]>> parallel = new ArrayList<>();
          for (Tensor in : inputs) {
            parallel.add(pool.submit(() -> s.run(Map.of("input", in)).get("logits").toFloats()));
          }
          for (int i = 0; i < inputs.size(); i++) {
            float[] got = parallel.get(i).get();
            assertEquals(3L * inputs.get(i).dims()[0], got.length);
            assertArrayEquals(sequential.get(i), got, "input " + i + ", round " + round);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
