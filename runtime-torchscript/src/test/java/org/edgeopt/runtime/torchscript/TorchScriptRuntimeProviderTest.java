package org.edgeopt.runtime.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.runtime.InferenceRuntime;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;

/** The module registers itself: {@link Runtimes#forModel} finds PyTorch for {@code .pt} files through the ServiceLoader. */
class TorchScriptRuntimeProviderTest {

  @Test
  void runtimesFindsPyTorchForTorchScriptFiles() throws Exception {
    SampleModel s = SampleModels.get(SampleModels.names().get(0));
    InferenceRuntime r = Runtimes.forModel(s.torchscript(), List.of(s.inputName()));
    assertInstanceOf(TorchScriptRuntime.class, r);
    try (InferenceSession session =
        r.open(s.torchscript(), SessionOptions.defaults().withThreads(1))) {
      assertEquals(
          List.of(s.inputName()),
          session.inputNames(),
          "the input names given to Runtimes.forModel");
    }
  }

  @Test
  void acceptsOnlyTorchScriptExtensions() {
    TorchScriptRuntimeProvider p = new TorchScriptRuntimeProvider();
    assertTrue(p.accepts(Path.of("dir/model.pt")));
    assertTrue(p.accepts(Path.of("model.TorchScript")));
    assertFalse(p.accepts(Path.of("model.onnx")));
    assertFalse(p.accepts(Path.of("model.tflite")));
  }
}
