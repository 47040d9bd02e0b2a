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
    Photos holdout = photos(dev, 0, 2);
    Photos calibration = photos(dev, 50, 4);
    // FP32 on the wire and no ranges: every cut's parts run chained on the holdout, no int8 pass.
    SplitRequest r =
        new SplitRequest(
            TargetProfiles.get("onnxruntime-arm64"),
            TargetProfiles.get("tensorrt-ampere"),
            new Link(10e6, 0.020),
            new Encoding(WireFormat.FP32, false),
            holdout,
            2,
            null,
            null,
            Double.NaN,
            1,
            1,
            0);
    SplitPlan plan = SplitPlanner.plan(g, "", r);
    System.out.print(SplitReport.text(plan));
    List<Cut> cuts = plan.costs().stream().map(CutCost::cut).toList();
    // Series of modules: a chain node adds one cut, a fire module (squeeze, ReLU, then two
    // two-node expand branches joined by a Concat) adds 1 + 1 + (3 x 3 - 1) + 1 = 11, so
    // 1 + computeNodes + 4 per fire module.
    long fires = g.nodes().stream().filter(n -> n.opType().equals("Concat")).count();
    assertEquals(8, fires);
    assertTrue(plan.enumeration().complete(), plan.enumeration().describe());
    assertEquals(1 + cuts.get(0).computeNodes() + 4 * fires, cuts.size());
    List<Cut> branchCuts = cuts.stream().filter(c -> c.tensors().size() == 2).toList();
    // Every branch state past the squeeze ReLU but (nothing, nothing) sends one tensor per branch.
    assertEquals(8 * 8, branchCuts.size());
    for (int i = 0; i < cuts.size(); i++) {
      CutCheck k = plan.checks().get(i);
      String where = "#" + i + " " + cuts.get(i).label();
      assertTrue(
          k.fp32MaxAbsDiff() <= SplitRequest.FP32_TOLERANCE, where + ": " + k.fp32MaxAbsDiff());
    }
    // Int8 on the wire for a deterministic sample (running all 100 twice would cost a minute):
    // the first fire module's nine cuts past its squeeze ReLU (3 x 3 branch states) and every
    // tenth cut of the table.
    int firstBranch = cuts.indexOf(branchCuts.get(0));
    List<Cut> sample = new ArrayList<>(cuts.subList(firstBranch - 1, firstBranch + 8));
    for (int i = 0; i < cuts.size(); i += 10) {
      if (!sample.contains(cuts.get(i))) {
        sample.add(cuts.get(i));
      }
    }
    Graph typed = SplitPlanner.withShapes(g);
    SplitEvaluator.Result int8 =
        SplitEvaluator.evaluate(
            typed,
            sample,
            holdout,
            2,
            CutRanges.observe(typed, sample, calibration, 4, 1),
            0,
            1,
            0);
    for (int i = 0; i < sample.size(); i++) {
      CutCheck k = int8.checks().get(i);
      assertTrue(
          k.int8Agreement() >= SplitRequest.INT8_MIN_AGREEMENT,
          sample.get(i).label() + ": int8 agreement " + k.int8Agreement());
    }
    SplitArtifacts.Written w = SplitArtifacts.write(plan, g, dir, holdout, 2);
    assertTrue(w.check().passed(), w.check().toString());
  }
}
