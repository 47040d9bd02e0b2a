package org.edgeopt.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedModelsTest {

  @TempDir Path tmp;

  private String saved;

  @BeforeEach
  void saveProperty() {
    saved = System.getProperty(SharedModels.PROPERTY);
  }

  @AfterEach
  void restoreProperty() {
    if (saved == null) {
      System.clearProperty(SharedModels.PROPERTY);
    } else {
      System.setProperty(SharedModels.PROPERTY, saved);
    }
  }

  @Test
  void propertyNamesTheSharedFolder() throws IOException {
    Path shared = tmp.resolve("shared");
    Path model =
        Files.createDirectories(shared.resolve("real-models/mnist-7")).resolve("mnist.onnx");
    Files.write(model, new byte[] {1});
    System.setProperty(SharedModels.PROPERTY, shared.toString());

    assertEquals(Optional.of(shared.resolve("real-models").toAbsolutePath()), SharedModels.root());
    assertEquals(Optional.of(model.toAbsolutePath()), SharedModels.find("mnist-7/mnist.onnx"));
    assertEquals(Optional.empty(), SharedModels.find("squeezenet-1.0/model.onnx"));
    assertTrue(
        SharedModels.missingReason("squeezenet-1.0/model.onnx")
            .contains("squeezenet-1.0/model.onnx"));
    assertTrue(SharedModels.missingReason().contains("found at"));
  }

  @Test
  void aPropertyWithoutRealModelsIsSkippedAndReported() {
    Path bogus = tmp.resolve("no-such-shared");
    System.setProperty(SharedModels.PROPERTY, bogus.toString());
    Optional<Path> root = SharedModels.root();
    // the environment variable or the working-directory walk may still find a real folder
    root.ifPresent(r -> assertNotEquals(bogus.resolve("real-models"), r));
    if (root.isEmpty()) {
      String reason = SharedModels.missingReason();
      assertTrue(
          reason.contains(SharedModels.PROPERTY) && reason.contains(bogus.toString()), reason);
      assertFalse(SharedModels.find("mnist-7/mnist.onnx").isPresent());
    }
  }

  @Test
  void relativePathsMustStayInside() {
    assertThrows(IllegalArgumentException.class, () -> SharedModels.find("../secret"));
    assertThrows(IllegalArgumentException.class, () -> SharedModels.find("/etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> SharedModels.find(""));
  }
}
