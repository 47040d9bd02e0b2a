package org.edgeopt.samples;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Locates the optional third-party models in {@code shared/real-models}, for real-world tests that
 * skip with a reason when they are absent.
 *
 * <p>The folder is looked for, in order: in the system property {@value #PROPERTY} (the path of
 * {@code shared}, set by the parent POM's surefire configuration), in the environment variable
 * {@value #ENV} (same meaning), then in {@code shared/real-models} beside the current working
 * directory or any of its ancestors. A setting that names a folder without {@code real-models} is
 * skipped and mentioned by {@link #missingReason()}. This class does not depend on JUnit; a test
 * writes:
 *
 * <pre>{@code
 * Optional<Path> squeezenet = SharedModels.find("squeezenet-1.0/SqueezeNet_fp16.onnx");
 * assumeTrue(squeezenet.isPresent(), SharedModels.missingReason("squeezenet-1.0/SqueezeNet_fp16.onnx"));
 * }</pre>
 */
public final class SharedModels {

  /** The system property naming the {@code shared} folder. */
  public static final String PROPERTY = "edgeopt.shared.dir";

  /** The environment variable naming the {@code shared} folder. */
  public static final String ENV = "EDGEOPT_SHARED_DIR";

  /** The sub-folder of {@code shared} that holds the models. */
  public static final String REAL_MODELS = "real-models";

  private SharedModels() {}

  /**
   * Returns the {@code shared/real-models} folder, if one is found.
   *
   * @return the folder, absolute and normalised, or empty
   */
  public static Optional<Path> root() {
    return search(new ArrayList<>());
  }

  /**
   * Returns a file or folder under {@code shared/real-models}, if it exists.
   *
   * @param relative a path relative to {@code real-models}, e.g. {@code mnist-7/mnist.onnx}
   * @return the existing path, or empty when the root or the entry is missing
   * @throws IllegalArgumentException if {@code relative} is absolute or leaves the folder
   */
  public static Optional<Path> find(String relative) {
    Path rel = checkRelative(relative);
    return root().map(r -> r.resolve(rel).normalize()).filter(Files::exists);
  }

  /**
   * Says why {@code shared/real-models} was not found, for a test's skip message.
   *
   * @return a sentence naming every place that was searched, or a note that the folder was found
   */
  public static String missingReason() {
    List<String> tried = new ArrayList<>();
    Optional<Path> root = search(tried);
    if (root.isPresent()) {
      return "shared real-models found at " + root.get();
    }
    return "shared real-models not found (third-party models are optional; set -D"
        + PROPERTY
        + " or "
        + ENV
        + " to the 'shared' folder); searched: "
        + String.join("; ", tried);
  }

  /**
   * Says why an entry under {@code shared/real-models} is not available, for a test's skip message.
   *
   * @param relative a path relative to {@code real-models}
   * @return a sentence naming the missing entry or the places searched for the root
   */
  public static String missingReason(String relative) {
    Path rel = checkRelative(relative);
    Optional<Path> root = root();
    if (root.isEmpty()) {
      return missingReason();
    }
    Path p = root.get().resolve(rel).normalize();
    return Files.exists(p)
        ? relative + " found at " + p
        : "shared real-models has no " + relative + " (looked for " + p + ")";
  }

  private static Path checkRelative(String relative) {
    Path rel = Path.of(relative).normalize();
    if (relative.isEmpty() || rel.isAbsolute() || rel.startsWith("..")) {
      throw new IllegalArgumentException(
          "expected a path inside real-models, got '" + relative + "'");
    }
    return rel;
  }

  private static Optional<Path> search(List<String> tried) {
    Optional<Path> fromProperty =
        fromSetting("system property " + PROPERTY, System.getProperty(PROPERTY), tried);
    if (fromProperty.isPresent()) {
      return fromProperty;
    }
    Optional<Path> fromEnv = fromSetting("environment variable " + ENV, System.getenv(ENV), tried);
    if (fromEnv.isPresent()) {
      return fromEnv;
    }
    Path cwd = Path.of("").toAbsolutePath().normalize();
    for (Path dir = cwd; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve(REAL_MODELS);
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    tried.add("shared/" + REAL_MODELS + " in " + cwd + " and its ancestors");
    return Optional.empty();
  }

  private static Optional<Path> fromSetting(String what, String value, List<String> tried) {
    if (value == null || value.isBlank()) {
      tried.add(what + " (not set)");
      return Optional.empty();
    }
    try {
      Path candidate = Path.of(value).toAbsolutePath().normalize().resolve(REAL_MODELS);
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
      tried.add(what + " = " + value + " (no folder " + candidate + ")");
    } catch (InvalidPathException e) {
      tried.add(what + " = " + value + " (not a path)");
    }
    return Optional.empty();
  }
}
