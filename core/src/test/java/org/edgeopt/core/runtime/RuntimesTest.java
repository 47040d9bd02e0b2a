package org.edgeopt.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;

/** {@code core} alone runs ONNX and names the plug-in a TorchScript file needs instead of carrying PyTorch. */
class RuntimesTest {

  @Test
  void onnxRunsInOnnxRuntime() throws Exception {
    assertSame(OrtRuntime.get(), Runtimes.forModel(Path.of("m.onnx"), List.of()));
  }

  @Test
  void torchScriptWithoutItsPluginIsInvalidInputNamingThePlugin() {
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Runtimes.forModel(Path.of("m.pt"), List.of("x")));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().startsWith("m.pt: no runtime for this kind of file"), e.getMessage());
    assertTrue(e.getMessage().contains("edgeopt-runtime-torchscript"), e.getMessage());
  }
}
