package org.edgeopt.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.edgeopt.core.graph.DataType;
import org.edgeopt.core.graph.GraphBuilder;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.TensorType;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.onnx.OnnxModels;

/** A three-class identity "classifier" and a six-sample CSV holdout: the smallest real bundle inputs. */
final class TinyBundle {
  private TinyBundle() {}

  /** Writes {@code model.onnx}, {@code holdout.csv} and a key pair into {@code dir} and returns the request. */
  static PackageRequest request(Path dir) throws Exception {
    Path model = dir.resolve("model.onnx");
    TensorType rows =
        new TensorType(
            DataType.FLOAT, new Shape(List.of(new Shape.Dim(-1, "batch"), new Shape.Dim(3, null))));
    GraphBuilder b = new GraphBuilder("tiny", 13);
    b.addInput(new Value("x", rows));
    b.add("Identity", "copy", List.of("x"), List.of("logits"));
    b.addOutput(new Value("logits", rows));
    OnnxModels.write(b.build(), model);
    Path holdout = dir.resolve("holdout.csv");
    Files.writeString(
        holdout, "f0,f1,f2,label\n2,1,0,0\n0,3,1,1\n1,0,2,2\n2,0,1,2\n0,1,0.5,1\n3,0,0,1\n");
    Path keys = dir.resolve("keys");
    if (!Files.exists(keys.resolve(SigningKeys.PRIVATE_FILE))) {
      SigningKeys.write(SigningKeys.generate(), keys);
    }
    return new PackageRequest(
        model,
        List.of(),
        "tiny",
        "1.0.0",
        "onnxruntime-cpu",
        holdout,
        "",
        List.of("a", "b", "c"),
        null,
        null,
        null,
        keys.resolve(SigningKeys.PRIVATE_FILE));
  }
}
