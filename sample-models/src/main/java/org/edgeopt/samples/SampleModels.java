package org.edgeopt.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The catalogue of the project's committed sample models, each returned as a {@link SampleModel}
 * whose paths are real files.
 *
 * <p>The models and their data are classpath resources under {@code org/edgeopt/samples/models/<name>/}.
 * When they are plain files (running from {@code target/classes}) they are used where they are. When
 * they are inside a jar they are extracted once per content version into
 * {@code ${java.io.tmpdir}/edgeopt-samples/<sha-256 of sample.json>/}: written to a temporary folder,
 * checked against the SHA-256 sums in {@code sample.json}, then renamed into place atomically, so
 * concurrent JVMs never see a half-written sample. Results are cached per JVM.
 */
public final class SampleModels {

  /** The name of the Fashion-MNIST MobileNetV2-style CNN sample. */
  public static final String FASHION_MNIST = "fashion-mnist";

  /** The name of the scikit-learn digits MLP sample. */
  public static final String DIGITS = "digits-mlp";

  /** The descriptor file in every sample folder. */
  static final String DESCRIPTOR = "sample.json";

  /** The classpath folder holding one sub-folder per sample. */
  static final String RESOURCE_ROOT = "org/edgeopt/samples/models/";

  private static final List<String> NAMES = List.of(FASHION_MNIST, DIGITS);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, SampleModel> CACHE = new ConcurrentHashMap<>();

  private SampleModels() {}

  /**
   * Returns the names of all sample models.
   *
   * @return the names, in a stable order
   */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * Returns the sample model with the given name, its files located (and extracted if needed).
   *
   * @param name one of {@link #names()}
   * @return the sample
   * @throws IllegalArgumentException if no sample has that name
   * @throws IllegalStateException if the sample's resources are missing or inconsistent
   * @throws UncheckedIOException if extracting the files fails
   */
  public static SampleModel get(String name) {
    if (name == null || !NAMES.contains(name)) {
      throw new IllegalArgumentException(
          "unknown sample model '"
              + name
              + "': known sample models are "
              + String.join(", ", NAMES));
    }
    return CACHE.computeIfAbsent(
        name, n -> load(n, SampleModels.class.getClassLoader(), defaultCacheRoot()));
  }

  /**
   * Returns the Fashion-MNIST sample: a MobileNetV2-style CNN, input {@code [N,1,28,28]}.
   *
   * @return the sample named {@value #FASHION_MNIST}
   */
  public static SampleModel fashionMnist() {
    return get(FASHION_MNIST);
  }

  /**
   * Returns the digits sample: a 64-64-32-10 MLP on 8x8 digits, input {@code [N,64]}.
   *
   * @return the sample named {@value #DIGITS}
   */
  public static SampleModel digits() {
    return get(DIGITS);
  }

  /**
   * Reads a {@code sample.json} where it lies on disk (a sample folder copied elsewhere, or one a
   * user made), with the paths it names resolved against its folder. Unlike {@link #get} it does
   * not check that those files exist nor their checksums.
   *
   * @param descriptor the {@code sample.json} file
   * @return the sample it describes
   * @throws IllegalStateException if it is not valid JSON or lacks a field a sample needs
   * @throws UncheckedIOException if it cannot be read
   */
  public static SampleModel read(Path descriptor) {
    Path file = descriptor.toAbsolutePath().normalize();
    URL url;
    try {
      url = file.toUri().toURL();
    } catch (java.net.MalformedURLException e) {
      throw new IllegalArgumentException(file + ": cannot name it as a URL", e);
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(
          file + ": expected a sample descriptor in JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
    }
    JsonNode name = root.get("name");
    return new Descriptor(
            name == null ? file.getParent().getFileName().toString() : name.asText(), url, root)
        .toSample(file.getParent());
  }

  static Path defaultCacheRoot() {
    return Path.of(System.getProperty("java.io.tmpdir"), "edgeopt-samples");
  }

  /** Loads a sample from {@code loader}, extracting non-file resources under {@code cacheRoot}. */
  static SampleModel load(String name, ClassLoader loader, Path cacheRoot) {
    String base = RESOURCE_ROOT + name + "/";
    URL url = loader.getResource(base + DESCRIPTOR);
    if (url == null) {
      throw new IllegalStateException(
          "sample model '"
              + name
              + "': resource "
              + base
              + DESCRIPTOR
              + " is not on the classpath");
    }
    byte[] descriptor;
    try (InputStream in = url.openStream()) {
      descriptor = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("sample model '" + name + "': cannot read " + url, e);
    }
    JsonNode root;
    try {
      root = JSON.readTree(descriptor);
    } catch (IOException e) {
      throw new IllegalStateException(
          "sample model '" + name + "': " + url + " is not valid JSON", e);
    }
    Descriptor d = new Descriptor(name, url, root);
    if (!name.equals(d.text(root, "name"))) {
      throw new IllegalStateException(
          "sample model '" + name + "': " + url + " names itself '" + d.text(root, "name") + "'");
    }

    Path dir;
    if ("file".equals(url.getProtocol())) {
      try {
        dir = Path.of(url.toURI()).getParent();
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw new IllegalStateException(
            "sample model '" + name + "': cannot map " + url + " to a path", e);
      }
    } else {
      dir = extract(name, descriptor, d.relativeFiles(), d.sha256(), loader, cacheRoot);
    }
    SampleModel sample = d.toSample(dir);
    List<Path> missing = sample.files().stream().filter(p -> !Files.isRegularFile(p)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException("sample model '" + name + "': missing files " + missing);
    }
    return sample;
  }

  private static Path extract(
      String name,
      byte[] descriptor,
      Set<String> files,
      Map<String, String> sums,
      ClassLoader loader,
      Path cacheRoot) {
    Path target = cacheRoot.resolve(hex(sha256(descriptor)));
    if (isComplete(target, files)) {
      return target;
    }
    Path tmp = null;
    try {
      Files.createDirectories(cacheRoot);
      tmp = Files.createTempDirectory(cacheRoot, ".extract-" + name + "-");
      Files.write(tmp.resolve(DESCRIPTOR), descriptor);
      for (String rel : files) {
        Path out = tmp.resolve(rel);
        Files.createDirectories(out.getParent());
        String resource = RESOURCE_ROOT + name + "/" + rel;
        try (InputStream in = loader.getResourceAsStream(resource)) {
          if (in == null) {
            throw new IllegalStateException(
                "sample model '"
                    + name
                    + "': resource "
                    + resource
                    + " named in "
                    + DESCRIPTOR
                    + " is not on the classpath");
          }
          Files.copy(in, out);
        }
        String expected = sums.get(rel);
        if (expected != null) {
          String actual = hex(sha256(Files.readAllBytes(out)));
          if (!expected.equalsIgnoreCase(actual)) {
            throw new IllegalStateException(
                "sample model '"
                    + name
                    + "': "
                    + resource
                    + " has SHA-256 "
                    + actual
                    + ", "
                    + DESCRIPTOR
                    + " says "
                    + expected);
          }
        }
      }
      IOException last = null;
      for (int attempt = 0; attempt < 3; attempt++) {
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
          tmp = null;
          return target;
        } catch (IOException raced) {
          last = raced;
          if (isComplete(target, files)) {
            return target; // another thread or JVM published first: use its copy
          }
          if (Files.exists(target)) {
            // an incomplete folder nobody can be writing to (publishing is one rename):
            // move it aside atomically, so that a concurrent reader never sees it half deleted
            Path stale = cacheRoot.resolve(".stale-" + UUID.randomUUID());
            try {
              Files.move(target, stale, StandardCopyOption.ATOMIC_MOVE);
              deleteTree(stale);
            } catch (IOException ignored) {
              // someone else moved it first; retry the publish
            }
          }
        }
      }
      throw last;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "sample model '" + name + "': cannot extract into " + target, e);
    } finally {
      if (tmp != null) {
        try {
          deleteTree(tmp);
        } catch (IOException ignored) {
          // best effort: a leftover .extract-* folder is harmless
        }
      }
    }
  }

  private static boolean isComplete(Path dir, Set<String> files) {
    return Files.isRegularFile(dir.resolve(DESCRIPTOR))
        && files.stream().allMatch(rel -> Files.isRegularFile(dir.resolve(rel)));
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  /** Reads one {@code sample.json}, reporting what is missing with the file it came from. */
  private record Descriptor(String name, URL url, JsonNode root) {

    String text(JsonNode node, String field) {
      JsonNode v = node.get(field);
      if (v == null || !v.isTextual()) {
        throw invalid("missing text field '" + field + "'");
      }
      return v.asText();
    }

    int integer(JsonNode node, String field) {
      JsonNode v = node.get(field);
      if (v == null || !v.canConvertToInt()) {
        throw invalid("missing integer field '" + field + "'");
      }
      return v.asInt();
    }

    JsonNode object(JsonNode node, String field) {
      JsonNode v = node.get(field);
      if (v == null || !v.isObject()) {
        throw invalid("missing object '" + field + "'");
      }
      return v;
    }

    String relativeFile(JsonNode node, String field) {
      String rel = text(node, field);
      Path p = Path.of(rel).normalize();
      if (rel.isEmpty() || p.isAbsolute() || p.startsWith("..") || rel.contains("\\")) {
        throw invalid(
            "'" + field + "' must be a relative path inside the sample folder, was '" + rel + "'");
      }
      return rel;
    }

    IllegalStateException invalid(String what) {
      return new IllegalStateException("sample model '" + name + "': " + url + ": " + what);
    }

    Set<String> relativeFiles() {
      Set<String> files = new LinkedHashSet<>();
      files.add(relativeFile(root, "model"));
      files.add(relativeFile(root, "torchscript"));
      files.add(relativeFile(root, "license"));
      for (String split : List.of("calibration", "holdout")) {
        JsonNode s = object(root, split);
        if (DataSplit.Format.of(text(s, "format")) == DataSplit.Format.IDX) {
          files.add(relativeFile(s, "images"));
          files.add(relativeFile(s, "labels"));
        } else {
          files.add(relativeFile(s, "file"));
        }
      }
      return files;
    }

    Map<String, String> sha256() {
      JsonNode sums = root.get("sha256");
      if (sums == null || !sums.isObject()) {
        return Map.of();
      }
      Map<String, String> out = new java.util.LinkedHashMap<>();
      sums.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    }

    DataSplit split(Path dir, String field) {
      JsonNode s = object(root, field);
      DataSplit.Format format;
      try {
        format = DataSplit.Format.of(text(s, "format"));
      } catch (IllegalArgumentException e) {
        throw invalid(field + ": " + e.getMessage());
      }
      int count = integer(s, "count");
      return format == DataSplit.Format.IDX
          ? new DataSplit(
              format,
              dir.resolve(relativeFile(s, "images")),
              dir.resolve(relativeFile(s, "labels")),
              null,
              count,
              null)
          : new DataSplit(
              format,
              null,
              null,
              dir.resolve(relativeFile(s, "file")),
              count,
              text(s, "labelColumn"));
    }

    SampleModel toSample(Path dir) {
      JsonNode input = object(root, "input");
      JsonNode shape = input.get("shape");
      if (shape == null || !shape.isArray() || shape.isEmpty()) {
        throw invalid("missing array 'input.shape'");
      }
      List<Long> dims = new ArrayList<>();
      shape.forEach(v -> dims.add(v.asLong()));
      JsonNode classes = root.get("classes");
      if (classes == null || !classes.isArray()) {
        throw invalid("missing array 'classes'");
      }
      List<String> classNames = new ArrayList<>();
      classes.forEach(v -> classNames.add(v.asText()));
      JsonNode fp32 = object(root, "fp32");
      return new SampleModel(
          name,
          text(root, "task"),
          dir,
          dir.resolve(relativeFile(root, "model")),
          dir.resolve(relativeFile(root, "torchscript")),
          text(input, "name"),
          dims,
          text(root, "output"),
          classNames,
          text(root, "preprocess"),
          split(dir, "calibration"),
          split(dir, "holdout"),
          dir.resolve(relativeFile(root, "license")),
          integer(fp32, "holdoutCorrect"),
          integer(fp32, "holdoutTotal"));
    }
  }
}
