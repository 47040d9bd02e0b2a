package org.edgeopt.quantize;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Attribute;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.samples.SharedModels;

/**
 * The real SqueezeNet of {@code ../shared/real-models/squeezenet-1.0} (despite the folder name,
 * SqueezeNet 1.1's layout: first Conv 64x3x3x3 with stride 2, pools after conv1, fire3 and
 * fire5) made FP32 (its FP16 weights widened, which is exact), its two sample photos, and a small deterministic calibration set made from
 * them: no other ImageNet images are available here, so each photo also appears flipped,
 * shifted and brightened/darkened.
 */
public final class SqueezeNetFixtures {
  public static final String MODEL = "squeezenet-1.0/SqueezeNet_fp16.onnx";
  public static final String PREPROCESS = "resize=256,crop=224,channels=bgr,mean=104:117:123";
  public static final int KITTEN = 281;
  private static final float[] MEAN = {104f, 117f, 123f};

  private SqueezeNetFixtures() {}

  public static Optional<Path> model() {
    return SharedModels.find(MODEL);
  }

  public static String missingReason() {
    return SharedModels.missingReason(MODEL);
  }

  /** Returns the model with every float16 initializer, value and cast widened to float32. */
  public static Graph fp32() throws Exception {
    return upcast(OnnxModels.read(model().orElseThrow()));
  }

  public static Graph upcast(Graph g) {
    GraphBuilder b = new GraphBuilder(g.name(), g.opset()).info(g.info());
    g.inputs().forEach(v -> b.addInput(widen(v)));
    g.outputs().forEach(v -> b.addOutput(widen(v)));
    for (Tensor t : g.initializers().values()) {
      b.addInitializer(
          t.dataType() == DataType.FLOAT16 ? Tensor.ofFloats(t.name(), t.dims(), t.toFloats()) : t);
    }
    g.valueInfo().values().forEach(v -> b.putValueInfo(widen(v)));
    for (Node n : g.nodes()) {
      if (n.opType().equals("Cast") && n.intAttr("to", 0) == DataType.FLOAT16.onnxCode()) {
        n = n.withAttribute(Attribute.of("to", (long) DataType.FLOAT.onnxCode()));
      }
      b.addNode(n);
    }
    return b.build();
  }

  private static Value widen(Value v) {
    return v.hasType() && v.type().dataType() == DataType.FLOAT16
        ? new Value(v.name(), new TensorType(DataType.FLOAT, v.type().shape()))
        : v;
  }

  public static Path photo(String name) {
    return SharedModels.find("squeezenet-1.0/" + name).orElseThrow();
  }

  /** Returns the preprocessed kitten and goldfish photos, [1,3,224,224] each. */
  public static List<Tensor> photos() throws Exception {
    Preprocessing pre = Preprocessing.parse(PREPROCESS);
    return List.of(Images.read(photo("kitten_224.png"), pre), Images.read(photo("fish.png"), pre));
  }

  /** Returns each photo and seven deterministic variants of it (flip, shifts, brightness). */
  public static List<Tensor> calibrationSet() throws Exception {
    List<Tensor> out = new ArrayList<>();
    for (Tensor p : photos()) {
      float[] x = p.toFloats();
      out.add(p);
      out.add(variant(p, flip(x)));
      out.add(variant(p, shift(x, 12, 0)));
      out.add(variant(p, shift(x, -12, 0)));
      out.add(variant(p, shift(x, 0, 12)));
      out.add(variant(p, shift(x, 0, -12)));
      out.add(variant(p, brightness(x, 0.8f)));
      out.add(variant(p, brightness(x, 1.2f)));
    }
    return out;
  }

  private static Tensor variant(Tensor like, float[] v) {
    return Tensor.ofFloats(like.name(), like.dims(), v);
  }

  private static float[] flip(float[] x) {
    float[] y = new float[x.length];
    for (int c = 0; c < 3; c++) {
      for (int h = 0; h < 224; h++) {
        for (int w = 0; w < 224; w++) {
          y[(c * 224 + h) * 224 + w] = x[(c * 224 + h) * 224 + (223 - w)];
        }
      }
    }
    return y;
  }

  private static float[] shift(float[] x, int dy, int dx) {
    float[] y = new float[x.length];
    for (int c = 0; c < 3; c++) {
      for (int h = 0; h < 224; h++) {
        for (int w = 0; w < 224; w++) {
          int sh = Math.max(0, Math.min(223, h - dy));
          int sw = Math.max(0, Math.min(223, w - dx));
          y[(c * 224 + h) * 224 + w] = x[(c * 224 + sh) * 224 + sw];
        }
      }
    }
    return y;
  }

  private static float[] brightness(float[] x, float k) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      float m = MEAN[i / (224 * 224)];
      y[i] = Math.max(0f, Math.min(255f, (x[i] + m) * k)) - m;
    }
    return y;
  }
}
