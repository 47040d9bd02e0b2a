package org.edgeopt.core.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.InvalidGraphException;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14: inputs of the CLI fuzz corpus that ended in an internal error (exit 1), each refused as invalid input now. */
class FuzzFindingsTest {
  @TempDir Path dir;

  private EdgeoptException readFails(Consumer<OnnxMl.GraphProto.Builder> mutation)
      throws Exception {
    OnnxMl.ModelProto.Builder m =
        OnnxMl.ModelProto.parseFrom(OnnxModels.toBytes(TestModels.smallCnn(13))).toBuilder();
    mutation.accept(m.getGraphBuilder());
    Path file = dir.resolve("mutated.onnx");
    Files.write(file, m.build().toByteArray());
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxModels.read(file));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode(), e.getMessage());
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\0"), e.getMessage());
    return e;
  }

  private static OnnxMl.TensorProto.Builder firstWithRawData(OnnxMl.GraphProto.Builder g) {
    return g.getInitializerBuilderList().stream()
        .filter(t -> !t.getRawData().isEmpty() && t.getDimsCount() > 1)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void initializerDimension2Pow40() throws Exception {
    EdgeoptException e = readFails(g -> firstWithRawData(g).setDims(0, 1L << 40));
    assertTrue(e.getMessage().contains("expected a tensor of at most 2 GiB"), e.getMessage());
  }

  @Test
  void initializerDimensionIntegerMaxValue() throws Exception {
    readFails(g -> firstWithRawData(g).setDims(1, Integer.MAX_VALUE));
  }

  @Test
  void initializerDimensionMinus7() throws Exception {
    EdgeoptException e = readFails(g -> firstWithRawData(g).setDims(0, -7));
    assertTrue(e.getMessage().contains("expected sizes >= 0"), e.getMessage());
  }

  @Test
  void initializerWithFewerFloatValuesThanItsDimensions() throws Exception {
    readFails(
        g -> {
          OnnxMl.TensorProto.Builder t = firstWithRawData(g);
          t.clearRawData().addFloatData(1f).addFloatData(2f);
        });
  }

  @Test
  void externalDataLocationWithANulCharacter() throws Exception {
    EdgeoptException e =
        readFails(
            g ->
                firstWithRawData(g)
                    .clearRawData()
                    .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(
                        OnnxMl.StringStringEntryProto.newBuilder()
                            .setKey("location")
                            .setValue("w.bin\0x")));
    assertTrue(e.getMessage().contains("w.bin\\0x"), e.getMessage());
  }

  @Test
  void floatAttributeAlphaStoredAsAnInt() {
    InvalidGraphException e =
        assertThrows(InvalidGraphException.class, () -> Attribute.of("alpha", -1L).asFloat());
    assertEquals(
        "attribute 'alpha': expected FLOAT (the type its operator defines), found INT",
        e.getMessage());
  }

  @Test
  void blankTargetName() {
    for (String blank : new String[] {null, "", "  "}) {
      EdgeoptException e = assertThrows(EdgeoptException.class, () -> TargetProfiles.get(blank));
      assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
      assertTrue(e.getMessage().startsWith("no target given: expected one of "), e.getMessage());
    }
  }
}
