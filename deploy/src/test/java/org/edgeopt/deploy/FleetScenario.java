package org.edgeopt.deploy;

import java.nio.file.Path;
import java.util.List;
import org.edgeopt.samples.SampleModel;

/**
 * The Fashion-MNIST sample packaged into a bundle and the generator's fleet telemetry, made once
 * per test JVM in a temporary folder and shared by the monitor and canary tests.
 */
final class FleetScenario {
  static final int PER_WINDOW = 250;
  static final int WINDOWS = 3;
  static final int SHIFT_FROM = 1;
  private static FleetScenario instance;

  final Path dir;
  final Path bundle;
  final Path publicKey;
  final List<Path> telemetry;

  private FleetScenario(Path dir) throws Exception {
    this.dir = dir;
    TelemetryGenerator generator = new TelemetryGenerator();
    SampleModel s = generator.sample();
    Path keys = dir.resolve("keys");
    SigningKeys.write(SigningKeys.generate(), keys);
    publicKey = keys.resolve(SigningKeys.PUBLIC_FILE);
    bundle = dir.resolve("fashion-mnist.bundle.zip");
    BundlePackager.write(
        new PackageRequest(
            s.model(),
            List.of(),
            s.name(),
            "1.0.0",
            "onnxruntime-cpu",
            s.holdout().images().getParent(),
            s.preprocess(),
            s.classNames(),
            null,
            null,
            null,
            keys.resolve(SigningKeys.PRIVATE_FILE)),
        bundle);
    telemetry =
        generator.generate(
            dir.resolve("telemetry"),
            TelemetryGenerator.FLEET,
            PER_WINDOW,
            WINDOWS,
            SHIFT_FROM,
            18);
  }

  /** Returns the scenario, making it on first use. */
  static synchronized FleetScenario get() throws Exception {
    if (instance == null) {
      Path dir = java.nio.file.Files.createTempDirectory("edgeopt-fleet");
      instance = new FleetScenario(dir);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
    }
    return instance;
  }

  /** Returns the start of window {@code w}, as reports print it. */
  static String window(int w) {
    return java.time.Instant.ofEpochMilli(
            TelemetryGenerator.START_MS + w * TelemetryGenerator.WINDOW_MINUTES * 60_000L)
        .toString();
  }

  private static void delete(Path dir) {
    try (var s = java.nio.file.Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // A temp folder left behind harms nobody.
    }
  }
}
