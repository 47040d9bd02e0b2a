package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.lite.schema.TensorType;

/**
 * The flatbuffer of a tiny generated model, read back through the schema classes, against its
 * golden description (regenerate with {@link GoldenFiles#main}), plus the int8 rules checked
 * directly on what was read back.
 */
class GoldenStructureTest {

  @Test
  void flatbufferMatchesGoldenDescription() throws Exception {
    String expected;
    try (InputStream in = getClass().getResourceAsStream("/golden/small-cnn.int8.tflite-v3.json")) {
      assertNotNull(in, "golden file missing: run GoldenFiles.main to create it");
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(
        expected,
        TfliteModelSummary.toJson(GoldenFiles.goldenTflite(), "golden"),
        "the TFLite structure changed: if intended, run GoldenFiles.main and review the diff");
  }

  @Test
  void readBackFollowsTheTfliteInt8Spec() throws Exception {
    TfliteModel m = TfliteFlatbuffers.read(GoldenFiles.goldenTflite(), "golden");
    List<String> ops = m.operators().stream().map(TfliteModel.Operator::name).toList();
    assertEquals(
        List.of("CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "RESHAPE", "FULLY_CONNECTED"), ops);
    for (TfliteModel.Operator op : m.operators()) {
      int[] in = op.inputs();
      switch (op.name()) {
        case "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED" -> {
          TfliteModel.Tensor x = m.tensor(in[0]);
          TfliteModel.Tensor w = m.tensor(in[1]);
          TfliteModel.Tensor b = m.tensor(in[2]);
          assertEquals(TensorType.INT8, w.type());
          assertEquals(TensorType.INT32, b.type());
          int channelDim = op.name().equals("DEPTHWISE_CONV_2D") ? 3 : 0;
          assertEquals(
              channelDim,
              w.quant().quantizedDimension(),
              op.name() + " weights quantized dimension");
          int scales = op.name().equals("FULLY_CONNECTED") ? 1 : w.shape()[channelDim];
          assertEquals(
              scales,
              w.quant().scales().length,
              op.name() + ": per-channel conv weights, per-tensor FC");
          for (int c = 0; c < w.quant().scales().length; c++) {
            assertEquals(0, w.quant().zeroPoints()[c], "weights are symmetric");
            assertEquals(0, b.quant().zeroPoints()[c]);
            double want = (double) x.quant().scale() * w.quant().scales()[c];
            assertEquals(
                want,
                b.quant().scales()[c],
                1e-6 * want,
                "bias scale = input scale x weight scale");
          }
        }
        default -> {}
      }
    }
    // Weights are OHWI for CONV_2D ([4,3,3,1]) and 1HWC for the depthwise convolution ([1,3,3,4]).
    assertEquals(List.of(4, 3, 3, 1), boxed(m.tensor(m.operators().get(0).inputs()[1]).shape()));
    assertEquals(List.of(1, 3, 3, 4), boxed(m.tensor(m.operators().get(1).inputs()[1]).shape()));
    TfliteModel.Tensor input = m.tensor(m.inputs().get(0));
    assertEquals(
        List.of(1, 8, 8, 1), boxed(input.shape()), "NHWC input with the batch pinned to 1");
    assertEquals(TensorType.INT8, input.type());
    assertTrue(m.metadata().containsKey(OnnxToTflite.PROVENANCE_METADATA));
    assertTrue(
        new String(m.metadata().get(OnnxToTflite.PROVENANCE_METADATA), StandardCharsets.UTF_8)
            .contains("\"producer\":\"edgeopt\""));
  }

  @Test
  void identicalConstantsShareOneBuffer() throws Exception {
    TfliteModel m = new TfliteModel();
    byte[] same = {1, 2, 3, 4};
    int a =
        m.addTensor(
            new TfliteModel.Tensor(
                "a", TensorType.INT8, new int[] {4}, null, same, TfliteModel.Quant.of(1f, 0)));
    int b =
        m.addTensor(
            new TfliteModel.Tensor(
                "b",
                TensorType.INT8,
                new int[] {4},
                null,
                same.clone(),
                TfliteModel.Quant.of(1f, 0)));
    int c =
        m.addTensor(
            new TfliteModel.Tensor(
                "c",
                TensorType.INT8,
                new int[] {4},
                null,
                new byte[] {4, 3, 2, 1},
                TfliteModel.Quant.of(1f, 0)));
    int out =
        m.addTensor(
            new TfliteModel.Tensor(
                "y", TensorType.INT8, new int[] {4}, null, null, TfliteModel.Quant.of(1f, 0)));
    m.addOperator(
        new TfliteModel.Operator(
            org.tensorflow.lite.schema.BuiltinOperator.ADD,
            2,
            new int[] {a, b},
            List.of(TfliteModel.Role.WEIGHT, TfliteModel.Role.WEIGHT),
            new int[] {out},
            new OpOptions.Add((byte) 0),
            "t"));
    m.addOutput(out);
    byte[] bytes = TfliteFlatbuffers.write(m);
    org.tensorflow.lite.schema.Model raw =
        org.tensorflow.lite.schema.Model.getRootAsModel(java.nio.ByteBuffer.wrap(bytes));
    org.tensorflow.lite.schema.SubGraph g = raw.subgraphs(0);
    assertEquals(g.tensors(a).buffer(), g.tensors(b).buffer(), "equal contents, one buffer");
    assertTrue(g.tensors(c).buffer() != g.tensors(a).buffer());
    assertEquals(3, raw.buffersLength(), "the empty buffer 0 plus two distinct contents");
    assertEquals(0, g.tensors(out).buffer(), "computed tensors use the empty buffer");
  }

  private static List<Integer> boxed(int[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
