package org.edgeopt.planners.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.Ingestor;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split planner on the real SqueezeNet of {@code ../shared/real-models} (ingested: FP16 weights
 * widened to FP32, Dropout removed), every cut run on real ImageNet photos.
 */
class SqueezeNetSplitTest {
  static final String MODEL = "squeezenet-1.0/SqueezeNet_fp16.onnx";
  static final String PREPROCESS = "resize=256,crop=224,channels=bgr,mean=104:117:123";

  /** Preprocessed photos with their class indices, one per batch. */
  record Photos(List<Tensor> images, int[] labels) implements Dataset {
    @Override
    public String describe() {
      return "imagenet-dev (" + images.size() + " photos)";
    }

    @Override
    public int size() {
      return images.size();
    }

    @Override
    public long[] sampleShape() {
      return new long[] {3, 224, 224};
    }

    @Override
    public Iterator<Batch> batches(int batchSize, int limit) {
      List<Batch> out = new ArrayList<>();
      for (int i = 0; i < Math.min(limit, images.size()); i++) {
        out.add(new Batch(images.get(i), new int[] {labels[i]}));
      }
      return out.iterator();
    }
  }

  static Photos photos(Path dev, int from, int count) throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dev)) {
      files = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
    }
    Preprocessing pre = Preprocessing.parse(PREPROCESS);
    List<Tensor> images = new ArrayList<>();
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      // Spread over the classes rather than the first few folders.
      Path f = files.get((from + i * 97) % files.size());
      images.add(Images.read(f, pre));
      labels[i] = Integer.parseInt(f.getParent().getFileName().toString());
    }
    return new Photos(images, labels);
  }

  @Test
  void everyCutOfSqueezeNetReproducesTheWholeModel(@TempDir Path dir) throws Exception {
    assumeTrue(SharedModels.find(MODEL).isPresent(), SharedModels.missingReason(MODEL));
    assumeTrue(
        SharedModels.find("imagenet-dev").isPresent(), SharedModels.missingReason("imagenet-dev"));
    Path dev = SharedModels.find("imagenet-dev").orElseThrow();
    Graph g =
        new Ingestor()
            .ingest(SharedModels.find(MODEL).orElseThrow(), IngestOptions.defaults())
            .graph();
    Photos holdout = photos(dev, 0, 3);
    Photos calibration = photos(dev, 50, 4);
    SplitRequest r =
        new SplitRequest(
            TargetProfiles.get("onnxruntime-arm64"),
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.020),
            new Encoding(WireFormat.INT8, true),
            holdout,
            3,
            null,
            calibration,
            Double.NaN,
            3,
            1,
            0);
    SplitPlan plan = SplitPlanner.plan(g, "", r);
    System.out.print(SplitReport.text(plan));
    assertEquals(
        g.nodes().size() + 1 - CutEnumerator.constantValues(SplitPlanner.withShapes(g)).size(),
        plan.costs().size());
    assertTrue(
        plan.costs().stream().anyMatch(c -> c.cut().tensors().size() == 2),
        "cuts inside a fire module send both branches");
    for (int i = 0; i < plan.costs().size(); i++) {
      CutCheck k = plan.checks().get(i);
      String where = "#" + i + " " + plan.costs().get(i).cut().label();
      assertTrue(
          k.fp32MaxAbsDiff() <= SplitRequest.FP32_TOLERANCE, where + ": " + k.fp32MaxAbsDiff());
      assertTrue(
          k.int8Agreement() >= SplitRequest.INT8_MIN_AGREEMENT,
          where + ": int8 agreement " + k.int8Agreement());
    }
    SplitArtifacts.Written w = SplitArtifacts.write(plan, g, dir, holdout, 3);
    assertTrue(w.check().passed(), w.check().toString());
  }
}
