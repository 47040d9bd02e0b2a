package org.edgeopt.compile.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorRtEnvironmentTest {
  @Test
  void findsLibrariesInTheSearchedFoldersWithoutLoadingThem(@TempDir Path dir) throws Exception {
    Path cuda = Files.createDirectories(dir.resolve("cuda"));
    Path trt = Files.createDirectories(dir.resolve("trt"));
    for (String so :
        List.of("libcuda.so.1", "libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12")) {
      Files.createFile(cuda.resolve(so));
    }
    Files.createFile(trt.resolve("libnvinfer.so.10"));
    TensorRtEnvironment partial = TensorRtEnvironment.probe(List.of(cuda, trt), so -> false);
    assertFalse(partial.ready());
    assertEquals(
        "libnvonnxparser.so.10 (the TensorRT 10.x ONNX parser)", partial.describeMissing());
    Files.createFile(trt.resolve("libnvonnxparser.so.10"));
    TensorRtEnvironment full = TensorRtEnvironment.probe(List.of(cuda, trt), so -> false);
    assertTrue(full.ready(), full.describeMissing());
    assertEquals(trt.resolve("libnvinfer.so.10").toString(), full.libraries().get(4).foundAt());
  }

  @Test
  void theDriverIsNamedFirstWhenNothingIsThere(@TempDir Path dir) {
    TensorRtEnvironment none = TensorRtEnvironment.probe(List.of(dir), so -> false);
    assertEquals(6, none.missing().size());
    assertTrue(none.describeMissing().startsWith("libcuda.so.1 (the NVIDIA CUDA driver)"));
  }

  @Test
  void bundledCudaRuntimeCountsAsFound(@TempDir Path dir) {
    TensorRtEnvironment env =
        TensorRtEnvironment.probe(List.of(dir), so -> so.startsWith("libcublas"));
    assertEquals(4, env.missing().size());
  }

  @Test
  void probingThisMachineNeverLoadsANativeLibrary() {
    TensorRtEnvironment env = TensorRtEnvironment.probe();
    assertEquals(6, env.libraries().size());
    assertTrue(env.searched().stream().allMatch(Files::isDirectory));
  }
}
