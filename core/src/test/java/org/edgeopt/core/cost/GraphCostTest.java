package org.edgeopt.core.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;

/**
 * Pins the core cost model's figures on real models. The MACs and the parameter counts are derived
 * by hand from each architecture (the bundled samples' training scripts in {@code
 * sample-models/training}, SqueezeNet 1.0 as published); bytes moved and activation peaks are
 * pinned as measured, so that a change to the counting rules shows up here.
 */
class GraphCostTest {

  static GraphCost cost(Path model) throws Exception {
    return GraphCost.of(OnnxChecker.inferShapes(OnnxModels.read(model), model.toString()));
  }

  @Test
  void digitsMlp() throws Exception {
    GraphCost c = cost(SampleModels.get("digits-mlp").model());
    // Linear 64->64, 64->32, 32->10: MACs are the weight counts, parameters add the biases.
    assertEquals(64 * 64 + 64 * 32 + 32 * 10, c.macs());
    assertEquals(64 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10, c.parameters());
    assertEquals(Map.of("Gemm", (long) (64 * 64 + 64 * 32 + 32 * 10)), c.macsByOp());
    NodeCost first = c.weightedLayers().get(0);
    assertEquals(64 * 64 + 64, first.parameters());
    // Reads x[1,64], W[64,64], b[64]; writes [1,64]; all float32.
    assertEquals(4L * (64 + 64 * 64 + 64 + 64), first.bytesMoved());
    assertEquals(List.of(1L, 64L), first.outputDims());
    assertEquals(3, c.weightedLayers().size());
    // Peak: the input [1,64] and fc1's output [1,64] live together while fc1 runs.
    assertEquals(new ActivationPeak(4 * (64 + 64), c.nodes().get(0).name(), 2), c.peakActivation());
    System.out.println("digits-mlp: " + figures(c));
  }

  @Test
  void fashionMnist() throws Exception {
    GraphCost c = cost(SampleModels.fashionMnist().model());
    // train_fashion_mnist.py on 28x28: stem conv, six inverted residual blocks, 1x1 head to 128,
    // Linear 128->10; summed per layer as Cout*Hout*Wout*(Cin/groups)*k*k.
    assertEquals(6_466_144L, c.macs());
    // 80,032 conv and linear weights; the export keeps BatchNorm, 4 values for each of the 1,696
    // conv output channels; the classifier's 10 biases.
    assertEquals(80_032L + 4 * 1_696 + 10, c.parameters());
    assertEquals(5_718_432L, c.bytesMoved(), "as measured");
    assertEquals(401_416L, c.peakActivation().bytes(), "as measured");
    System.out.println("fashion-mnist: " + figures(c));
  }

  @Test
  void squeezeNet() throws Exception {
    String rel = "squeezenet-1.0/SqueezeNet_fp16.onnx";
    Path model = SharedModels.find(rel).orElse(null);
    assumeTrue(model != null, SharedModels.missingReason(rel));
    GraphCost c = cost(model);
    // The file is named 1.0 but has SqueezeNet 1.1's layout: a 3x3/2 stem to 64 channels (224 ->
    // 111),
    // ceil-mode pools 111 -> 55 -> 27 -> 13 after the stem and fires 2 and 4, eight fire modules
    // (squeeze 16,16,32,32,48,48,64,64; expand 4x as 1x1 + 3x3), a 1x1 classifier to 1000 on 13x13.
    // Summed by hand: 349,151,936 MACs and 1,235,496 parameters, torchvision's squeezenet1_1
    // figures
    // (0.35 GMACs, 1.235 M parameters); SqueezeNet 1.0 would be 819 M MACs.
    assertEquals(349_151_936L, c.macs());
    assertEquals(1_235_496L, c.parameters());
    assertEquals(26, c.weightedLayers().size());
    assertEquals(Map.of("Conv", 349_151_936L), c.macsByOp());
    // Stem: reads x[1,3,224,224], W[64,3,3,3], b[64] and writes [1,64,111,111], float16 (2 bytes).
    NodeCost stem = c.weightedLayers().get(0);
    assertEquals(2L * (3 * 224 * 224 + 64 * 27 + 64 + 64 * 111 * 111), stem.bytesMoved());
    assertEquals(List.of(1L, 64L, 111L, 111L), stem.outputDims());
    // Peak: the first Relu's input and output, [1,64,111,111] float16 each.
    assertEquals(2L * 2 * 64 * 111 * 111, c.peakActivation().bytes());
    assertEquals(31_324_288L, c.bytesMoved(), "as measured");
    System.out.println("squeezenet: " + figures(c));
  }

  static String figures(GraphCost c) {
    return "macs="
        + c.macs()
        + " parameters="
        + c.parameters()
        + " weightBytes="
        + c.weightBytes()
        + " bytesMoved="
        + c.bytesMoved()
        + " peak="
        + c.peakActivation();
  }
}
