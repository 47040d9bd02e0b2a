package org.edgeopt.deploy;

import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;

/**
 * Makes field telemetry from the Fashion-MNIST sample model running in ONNX Runtime on its
 * holdout images, on a small fleet where some devices meet a realistic shift from one window on:
 * brightness and contrast (a new light), blur (a dirty or defocused lens), sensor noise (a worse
 * camera in low light), a class-mix change (a shop that now sells mostly footwear), and a slower
 * device (thermal throttling). Control devices see the holdout as it is.
 *
 * <p>Predictions, confidences and top-3 scores are the real model's on the (shifted) images.
 * Latency is simulated (a seeded log-normal around 3.5 ms, 2.5 times slower for the slow device),
 * because this host is not the device and wall-clock time must not decide a test. One record in
 * ten carries its true label, as sampled labelling feedback would; one in five hundred is a failed
 * inference. The same seed gives the same files.
 *
 * <p>Run it with {@code deploy/scripts/generate-telemetry.sh OUT_DIR}.
 */
public final class TelemetryGenerator {
  /** The window length the scenario is laid out in. */
  public static final long WINDOW_MINUTES = 60;

  /** The start of the first window: 2026-12-01T00:00:00Z. */
  public static final long START_MS = 1_796_083_200_000L;

  /** What a device meets from the shift window on. */
  public enum Shift {
    /** Nothing: a control device. */
    NONE,
    /** Brightness up and contrast down, as under a new light. */
    BRIGHTNESS,
    /** A Gaussian blur, as through a dirty or defocused lens. */
    BLUR,
    /** Gaussian sensor noise. */
    NOISE,
    /** Mostly footwear: sandals, sneakers and ankle boots. */
    CLASS_MIX,
    /** The same images, 2.5 times slower. */
    SLOW
  }

  /**
   * One device of the fleet.
   *
   * @param id the device id
   * @param shift what it meets
   */
  public record Device(String id, Shift shift) {}

  /** The fleet: three controls and one device per shift. */
  public static final List<Device> FLEET =
      List.of(
          new Device("control-1", Shift.NONE),
          new Device("control-2", Shift.NONE),
          new Device("control-3", Shift.NONE),
          new Device("bright-1", Shift.BRIGHTNESS),
          new Device("blur-1", Shift.BLUR),
          new Device("noise-1", Shift.NOISE),
          new Device("mix-1", Shift.CLASS_MIX),
          new Device("slow-1", Shift.SLOW));

  private final SampleModel sample;
  private final Preprocessing pre;
  private final byte[][] images;
  private final int[] labels;
  private final List<List<Integer>> byClass = new ArrayList<>();

  /** Loads the Fashion-MNIST sample's holdout images. */
  public TelemetryGenerator() throws IOException, EdgeoptException {
    sample = SampleModels.fashionMnist();
    pre = Preprocessing.parse(sample.preprocess());
    labels = readLabels(sample.holdout().labels());
    images = readImages(sample.holdout().images(), labels.length);
    for (int c = 0; c < sample.classNames().size(); c++) {
      byClass.add(new ArrayList<>());
    }
    for (int i = 0; i < labels.length; i++) {
      byClass.get(labels[i]).add(i);
    }
  }

  /** Returns the sample model the telemetry comes from. */
  public SampleModel sample() {
    return sample;
  }

  /**
   * Writes the fleet's telemetry: the first half of the devices to {@code telemetry-a.jsonl}, the
   * rest to {@code telemetry-b.csv}.
   *
   * @param perWindow records per device and window
   * @param windows the number of windows
   * @param shiftFrom the first window in which shifted devices are shifted
   * @return the files written
   */
  public List<Path> generate(
      Path dir, List<Device> fleet, int perWindow, int windows, int shiftFrom, long seed)
      throws IOException, EdgeoptException {
    Files.createDirectories(dir);
    Path jsonl = dir.resolve("telemetry-a.jsonl");
    Path csv = dir.resolve("telemetry-b.csv");
    try (InferenceSession session =
            OrtRuntime.get().open(sample.model(), SessionOptions.defaults().withThreads(1));
        BufferedWriter json = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8);
        BufferedWriter table = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      table.write(
          "device,ts,modelVersion,predicted,confidence,scores,latencyMs,failed,label,sampleId\n");
      for (int d = 0; d < fleet.size(); d++) {
        Device device = fleet.get(d);
        Random random = new Random(seed * 1_000_003L + d);
        for (int w = 0; w < windows; w++) {
          boolean shifted = w >= shiftFrom;
          List<String> lines =
              window(
                  session,
                  device,
                  shifted ? device.shift() : Shift.NONE,
                  w,
                  perWindow,
                  random,
                  d < fleet.size() / 2);
          BufferedWriter out = d < fleet.size() / 2 ? json : table;
          for (String line : lines) {
            out.write(line);
            out.write('\n');
          }
        }
      }
    }
    return List.of(jsonl, csv);
  }

  private List<String> window(
      InferenceSession session,
      Device device,
      Shift shift,
      int w,
      int n,
      Random random,
      boolean asJson)
      throws EdgeoptException {
    int side = 28;
    float[] input = new float[n * side * side];
    int[] picked = new int[n];
    for (int i = 0; i < n; i++) {
      picked[i] = pick(shift, random);
      float[] px = shifted(images[picked[i]], shift, random);
      for (int k = 0; k < px.length; k++) {
        input[i * px.length + k] = pre.normalize(px[k], 0);
      }
    }
    String in = session.inputNames().get(0);
    String outName = session.outputNames().get(0);
    Tensor y =
        session
            .run(
                Map.of(in, Tensor.ofFloats(in, new long[] {n, 1, side, side}, input)),
                List.of(outName))
            .get(outName);
    float[] logits = y.toFloats();
    int classes = logits.length / n;
    long windowMs = WINDOW_MINUTES * 60_000L;
    List<String> lines = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long ts = START_MS + w * windowMs + (long) ((i + random.nextDouble()) * windowMs / n);
      double latency =
          3.5 * Math.exp(0.2 * random.nextGaussian()) * (shift == Shift.SLOW ? 2.5 : 1);
      boolean failed = random.nextInt(500) == 0;
      int label = random.nextInt(10) == 0 ? labels[picked[i]] : -1;
      String id = device.id() + "-" + w + "-" + i + "-img" + picked[i];
      double[] p = Scores.probabilities(logits, i * classes, classes);
      Scores.Prediction pred = Scores.of(logits, i * classes, classes);
      double[] top = topThree(p);
      lines.add(
          asJson
              ? json(device.id(), ts, failed, pred, top, latency, label, id)
              : csv(device.id(), ts, failed, pred, top, latency, label, id));
    }
    return lines;
  }

  private static String json(
      String device,
      long ts,
      boolean failed,
      Scores.Prediction p,
      double[] top,
      double latency,
      int label,
      String id) {
    StringBuilder sb = new StringBuilder(200);
    sb.append("{\"device\":\"")
        .append(device)
        .append("\",\"ts\":")
        .append(ts)
        .append(",\"modelVersion\":\"1.0.0\"");
    if (failed) {
      sb.append(",\"failed\":true");
    } else {
      sb.append(",\"predicted\":")
          .append(p.predicted())
          .append(",\"confidence\":")
          .append(fmt(p.confidence()))
          .append(",\"scores\":[")
          .append(fmt(top[0]))
          .append(',')
          .append(fmt(top[1]))
          .append(',')
          .append(fmt(top[2]))
          .append(']');
    }
    sb.append(",\"latencyMs\":").append(fmt(latency));
    if (label >= 0 && !failed) {
      sb.append(",\"label\":").append(label);
    }
    return sb.append(",\"sampleId\":\"").append(id).append("\"}").toString();
  }

  private static String csv(
      String device,
      long ts,
      boolean failed,
      Scores.Prediction p,
      double[] top,
      double latency,
      int label,
      String id) {
    return device
        + ","
        + ts
        + ",1.0.0,"
        + (failed ? "" : p.predicted())
        + ","
        + (failed ? "" : fmt(p.confidence()))
        + ","
        + (failed ? "" : fmt(top[0]) + ";" + fmt(top[1]) + ";" + fmt(top[2]))
        + ","
        + fmt(latency)
        + ","
        + failed
        + ","
        + (label >= 0 && !failed ? label : "")
        + ","
        + id;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.5f", v);
  }

  private static double[] topThree(double[] p) {
    double[] s = p.clone();
    java.util.Arrays.sort(s);
    return new double[] {s[s.length - 1], s[s.length - 2], s[s.length - 3]};
  }

  /** Picks a holdout image: uniformly, or mostly footwear under a class-mix change. */
  private int pick(Shift shift, Random random) {
    if (shift == Shift.CLASS_MIX && random.nextDouble() < 0.7) {
      int[] footwear = {5, 7, 9};
      List<Integer> pool = byClass.get(footwear[random.nextInt(footwear.length)]);
      return pool.get(random.nextInt(pool.size()));
    }
    return random.nextInt(labels.length);
  }

  /** Returns the raw pixels (0..255) of an image as the shifted device's camera would give them. */
  static float[] shifted(byte[] image, Shift shift, Random random) {
    int side = 28;
    float[] x = new float[image.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = image[i] & 0xff;
    }
    switch (shift) {
      case BRIGHTNESS -> {
        for (int i = 0; i < x.length; i++) {
          x[i] = clamp(0.6f * x[i] + 80);
        }
      }
      case NOISE -> {
        for (int i = 0; i < x.length; i++) {
          x[i] = clamp(x[i] + (float) (45 * random.nextGaussian()));
        }
      }
      case BLUR -> {
        float[] k = {0.0545f, 0.2442f, 0.4026f, 0.2442f, 0.0545f};
        x = convolve(convolve(x, side, k, true), side, k, false);
      }
      default -> {
        // NONE, CLASS_MIX and SLOW leave the pixels as they are.
      }
    }
    return x;
  }

  /** A separable 1-D convolution (Gaussian, sigma 1) along rows or columns, edges clamped. */
  private static float[] convolve(float[] x, int side, float[] k, boolean rows) {
    float[] y = new float[x.length];
    int r = k.length / 2;
    for (int i = 0; i < side; i++) {
      for (int j = 0; j < side; j++) {
        float s = 0;
        for (int t = -r; t <= r; t++) {
          int a = rows ? i : Math.min(side - 1, Math.max(0, i + t));
          int b = rows ? Math.min(side - 1, Math.max(0, j + t)) : j;
          s += k[t + r] * x[a * side + b];
        }
        y[i * side + j] = s;
      }
    }
    return y;
  }

  private static float clamp(float v) {
    return Math.max(0, Math.min(255, v));
  }

  private static int[] readLabels(Path file) throws IOException {
    try (DataInputStream in = gz(file)) {
      in.readInt();
      int n = in.readInt();
      int[] l = new int[n];
      for (int i = 0; i < n; i++) {
        l[i] = in.readUnsignedByte();
      }
      return l;
    }
  }

  private static byte[][] readImages(Path file, int expected) throws IOException {
    try (DataInputStream in = gz(file)) {
      in.readInt();
      int n = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      if (n != expected) {
        throw new IOException(file + ": " + n + " images but " + expected + " labels");
      }
      byte[][] img = new byte[n][rows * cols];
      for (byte[] b : img) {
        in.readFully(b);
      }
      return img;
    }
  }

  private static DataInputStream gz(Path file) throws IOException {
    InputStream raw = Files.newInputStream(file);
    return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw)));
  }

  /**
   * Writes the scenario's telemetry into {@code args[0]} (default {@code telemetry}): 8 devices,
   * 3 one-hour windows of {@code args[1]} (default 250) records each, shifts from window 1.
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "telemetry");
    int perWindow = args.length > 1 ? Integer.parseInt(args[1]) : 250;
    List<Path> files = new TelemetryGenerator().generate(dir, FLEET, perWindow, 3, 1, 18);
    for (Path f : files) {
      System.out.println(f);
    }
  }
}
