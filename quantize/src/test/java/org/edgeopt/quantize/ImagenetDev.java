package org.edgeopt.quantize;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Images;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SharedModels;

/**
 * The 500 labelled photos of {@code ../shared/real-models/imagenet-dev} split as the issue-15
 * benchmarks use them: every fifth photo in class-folder order calibrates (100), the other 400
 * evaluate; and the top-1 predictions of a graph on such a split.
 */
public final class ImagenetDev {
  private ImagenetDev() {}

  /** A list of preprocessed photos with their class indices, in batches of one. */
  public record Photos(List<Tensor> images, int[] labels) implements Dataset {
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
      long[] d = images.get(0).dims();
      return java.util.Arrays.copyOfRange(d, 1, d.length);
    }

    @Override
    public Iterator<Batch> batches(int batchSize, int limit) {
      Iterator<Tensor> it = images.subList(0, Math.min(limit, images.size())).iterator();
      int[] at = {0};
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Batch next() {
          return new Batch(it.next(), new int[] {labels[at[0]++]});
        }
      };
    }
  }

  /** The calibration part (100 photos) and the evaluation part (400). */
  public record Split(Photos calibration, Photos evaluation) {}

  /** Returns the split with SqueezeNet's preprocessing, or empty when the photos or the model are absent. */
  public static Optional<Split> squeezeNetSplit() throws Exception {
    Path dev = SharedModels.find("imagenet-dev").orElse(null);
    if (SqueezeNetFixtures.model().isEmpty() || dev == null) {
      return Optional.empty();
    }
    Preprocessing pre = Preprocessing.parse(SqueezeNetFixtures.PREPROCESS);
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dev)) {
      s.filter(p -> p.toString().endsWith(".jpg") || p.toString().endsWith(".png"))
          .sorted()
          .forEach(files::add);
    }
    List<Tensor> calImages = new ArrayList<>();
    List<Integer> calLabels = new ArrayList<>();
    List<Tensor> evalImages = new ArrayList<>();
    List<Integer> evalLabels = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      int label = Integer.parseInt(f.getParent().getFileName().toString());
      (i % 5 == 0 ? calImages : evalImages).add(Images.read(f, pre));
      (i % 5 == 0 ? calLabels : evalLabels).add(label);
    }
    return Optional.of(
        new Split(
            new Photos(calImages, ints(calLabels)), new Photos(evalImages, ints(evalLabels))));
  }

  public static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Returns the top-1 class of every photo under {@code g}, run in ONNX Runtime's exact integer mode. */
  public static int[] predict(Graph g, Photos data) throws Exception {
    float[][] scores = scores(g, data);
    int[] out = new int[scores.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = BatchRunner.argmax(scores[i], 0, scores[i].length);
    }
    return out;
  }

  /** Returns the output scores (1,000 per photo) of {@code g} on every photo, in ONNX Runtime's exact integer mode. */
  public static float[][] scores(Graph g, Photos data) throws Exception {
    float[][] out = new float[data.size()][];
    SessionOptions o = SessionOptions.defaults().withThreads(2);
    if (Boolean.getBoolean("bench.noOptimization")) {
      // ONNX Runtime then computes each DequantizeLinear -> float operator -> QuantizeLinear as
      // written.
      o = o.withOptimization(SessionOptions.Optimization.NONE);
    }
    try (InferenceSession s = OrtRuntime.get().open(g, o)) {
      String in = s.inputNames().get(0);
      Iterator<Batch> it = data.batches(1, data.size());
      int i = 0;
      while (it.hasNext()) {
        out[i++] =
            s.run(Map.of(in, it.next().input().withName(in))).values().iterator().next().toFloats();
      }
    }
    return out;
  }

  /** Top-1 of {@code fp} and {@code q} against the labels and their agreement, in percent. */
  public record Scores(double fp32Top1, double int8Top1, double agreement) {
    public static Scores of(int[] fp, int[] q, int[] labels) {
      int fc = 0;
      int qc = 0;
      int ag = 0;
      for (int i = 0; i < fp.length; i++) {
        fc += fp[i] == labels[i] ? 1 : 0;
        qc += q[i] == labels[i] ? 1 : 0;
        ag += fp[i] == q[i] ? 1 : 0;
      }
      double n = fp.length / 100.0;
      return new Scores(fc / n, qc / n, ag / n);
    }

    public double drop() {
      return fp32Top1 - int8Top1;
    }
  }
}
