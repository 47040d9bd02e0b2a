package org.edgeopt.compile.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.core.targets.CompileRequest;
import org.edgeopt.core.targets.CompileResult;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.core.targets.Targets;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 acceptance: real models quantized to QDQ (by the test-side quantizer), compiled through
 * the {@code edgetpu} target plug-in with {@code strict} on (so anything unmappable fails the
 * test), loaded and run in the TFLite interpreter, and compared with the QDQ model in ONNX
 * Runtime and with FP32. Bars: 100% of operators on the Edge TPU per the checker; top-1
 * agreement with the QDQ model at least 99.5%; TFLite accuracy within 0.3 points of FP32.
 */
class RealModelsAcceptanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private CompileResult compile(Path qdq, boolean strict, Map<String, String> options)
      throws Exception {
    TargetProfile p = TargetProfiles.get("edgetpu");
    return Targets.forProfile(p)
        .compile(new CompileRequest(qdq, p, dir.resolve("out"), "int8", strict, options));
  }

  private JsonNode report() throws Exception {
    return JSON.readTree(dir.resolve("out").resolve(EdgeTpuTarget.REPORT_FILE).toFile());
  }

  @Test
  void mnist7OnAllTenThousandTestImages() throws Exception {
    assumeTrue(
        SharedModels.find("mnist-7/mnist.onnx").isPresent()
            && SharedModels.find("mnist-t10k").isPresent(),
        SharedModels.missingReason());
    Path model = SharedModels.find("mnist-7/mnist.onnx").get();
    Path data = SharedModels.find("mnist-t10k").get();
    Dataset test = Datasets.open(data, Preprocessing.identity(), null, null);
    Graph fp32 =
        TestGraphs.foldConstantReshapes(
            OnnxChecker.convertOpset(OnnxModels.read(model), 13, "mnist-7"));
    // Calibrate on the last 300 test images (mnist-7 ships no training data); all 10,000 are
    // evaluated.
    List<Map<String, Tensor>> cal = new ArrayList<>();
    Iterator<Batch> it = test.batches(1);
    for (int i = 0; it.hasNext(); i++) {
      Batch b = it.next();
      if (i >= 9700) {
        cal.add(Map.of("Input3", b.input().withName("Input3")));
      }
    }
    Path qdq = TestGraphs.write(EdgeTpuQuantization.quantize(fp32, cal), dir, "mnist-7.qdq.onnx");
    CompileResult r =
        compile(qdq, true, Map.of("verify-data", data.toString(), "verify-limit", "10000"));
    assertTrue(r.compatible());
    assertEquals(1.0, report().path("mappedFraction").asDouble(), "every operator on the Edge TPU");
    JsonNode v = report().path("verification");
    int fp32Correct;
    try (InferenceSession s =
        OrtRuntime.get().open(model, SessionOptions.defaults().withThreads(1))) {
      fp32Correct = BatchRunner.correctTop1(s, test, 1, 10000);
    }
    figures("mnist-7", v, fp32Correct / 10000.0);
    assertEquals(10000, v.path("samples").asInt());
    assertTrue(v.path("top1Agreement").asDouble() >= 0.995, v.toString());
    assertEquals(
        fp32Correct / 10000.0,
        v.path("tfliteTop1Accuracy").asDouble(),
        0.003,
        "within 0.3 points of FP32");
  }

  @Test
  void squeezeNetCompilesWithUint8IoAndClassifiesTheKitten() throws Exception {
    assumeTrue(
        SharedModels.find("squeezenet-1.0/SqueezeNet_fp16.onnx").isPresent(),
        SharedModels.missingReason());
    Path model = SharedModels.find("squeezenet-1.0/SqueezeNet_fp16.onnx").get();
    Graph fp32 =
        TestGraphs.foldConstants(
            OnnxChecker.convertOpset(
                TestGraphs.upcastFp16(OnnxModels.read(model)), 13, "squeezenet"));
    Preprocessing pre = Preprocessing.parse("resize=256,crop=224,channels=bgr,mean=104:117:123");
    List<Map<String, Tensor>> images = new ArrayList<>();
    for (String f : List.of("kitten_224.png", "fish.png")) {
      images.add(
          Map.of(
              "data_0",
              Images.read(SharedModels.find("squeezenet-1.0/" + f).get(), pre).withName("data_0")));
    }
    Path qdq =
        TestGraphs.write(EdgeTpuQuantization.quantize(fp32, images), dir, "squeezenet.qdq.onnx");
    CompileResult r = compile(qdq, true, Map.of("io-type", "uint8", "verify-samples", "4"));
    assertTrue(r.compatible());
    JsonNode rep = report();
    assertEquals(1.0, rep.path("mappedFraction").asDouble());
    assertEquals(
        43,
        rep.path("operatorsTotal").asInt(),
        "26 CONV_2D, 3 MAX_POOL_2D, 8 CONCATENATION, MEAN,"
            + " 2 RESHAPE, SOFTMAX and the uint8 QUANTIZE at each end");
    Path tflite = r.artifacts().get(0);
    try (InferenceSession t =
            new TfliteRuntime().open(tflite, SessionOptions.defaults().withThreads(1));
        InferenceSession f =
            OrtRuntime.get().open(fp32, SessionOptions.defaults().withThreads(1))) {
      for (Map<String, Tensor> in : images) {
        int tTop = BatchRunner.argmax(t.run(in).get("softmaxout_1").toFloats(), 0, 1000);
        int fTop = BatchRunner.argmax(f.run(in).get("softmaxout_1").toFloats(), 0, 1000);
        assertEquals(fTop, tTop, "TFLite and FP32 agree on the top-1 class");
      }
      assertEquals(
          281,
          BatchRunner.argmax(t.run(images.get(0)).get("softmaxout_1").toFloats(), 0, 1000),
          "tabby cat");
    }
    System.out.println(
        "squeezenet: "
            + rep.path("summary").asText()
            + "; "
            + Files.size(tflite)
            + " bytes; "
            + rep.path("verification").path("top1Agreement").asDouble()
            + " agreement on random int8 inputs");
  }

  @Test
  void fashionMnistSampleOnItsHoldout() throws Exception {
    SampleModel s = SampleModels.fashionMnist(); // bundled: missing is a failure, not a skip
    Preprocessing pre = Preprocessing.parse(s.preprocess());
    Graph fp32 = TestGraphs.foldBatchNorm(OnnxModels.read(s.model()));
    Dataset calibration = Datasets.open(s.calibration().images(), pre, s.classNames(), null);
    List<Map<String, Tensor>> cal = new ArrayList<>();
    Iterator<Batch> it = calibration.batches(1, 200);
    while (it.hasNext()) {
      cal.add(Map.of(s.inputName(), it.next().input().withName(s.inputName())));
    }
    Path qdq = TestGraphs.write(EdgeTpuQuantization.quantize(fp32, cal), dir, "fashion.qdq.onnx");
    CompileResult r =
        compile(
            qdq,
            true,
            Map.of(
                "verify-data",
                s.holdout().images().toString(),
                "verify-preprocess",
                s.preprocess(),
                "verify-limit",
                Integer.toString(s.holdout().count())));
    assertTrue(r.compatible());
    assertEquals(1.0, report().path("mappedFraction").asDouble());
    JsonNode v = report().path("verification");
    figures("fashion-mnist", v, s.fp32HoldoutTop1());
    assertTrue(v.path("top1Agreement").asDouble() >= 0.995, v.toString());
    assertEquals(
        s.fp32HoldoutTop1(),
        v.path("tfliteTop1Accuracy").asDouble(),
        0.003,
        "within 0.3 points of FP32");
  }

  private static void figures(String name, JsonNode v, double fp32) {
    System.out.println(
        String.format(
            Locale.ROOT,
            "%s: %d samples, top-1 agreement TFLite vs QDQ %.2f%%, max |diff|"
                + " %.0f int8 steps, accuracy FP32 %.2f%% QDQ %.2f%% TFLite %.2f%%",
            name,
            v.path("samples").asInt(),
            100 * v.path("top1Agreement").asDouble(),
            v.path("maxAbsDiffInt8Steps").asDouble(),
            100 * fp32,
            100 * v.path("onnxTop1Accuracy").asDouble(),
            100 * v.path("tfliteTop1Accuracy").asDouble()));
  }
}
