package org.edgeopt.compile.tensorrt;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What this machine has of the native libraries an in-process TensorRT build needs, found
 * without loading any of them: a missing CUDA driver must give a clear message, never a JVM
 * crash.
 *
 * @param libraries each library looked for, with where it was found
 * @param searched the folders that were searched
 */
public record TensorRtEnvironment(List<Library> libraries, List<Path> searched) {

  /**
   * One native library.
   *
   * @param soname the file name the loader asks for, e.g. {@code libnvinfer.so.10}
   * @param purpose what it is, in words
   * @param foundAt where it is, or null when it is missing
   */
  public record Library(String soname, String purpose, String foundAt) {
    /** Returns whether the library was found. */
    public boolean found() {
      return foundAt != null;
    }
  }

  /** The libraries the TensorRT 10 and CUDA 12 presets load, the driver first. */
  static final List<String[]> REQUIRED =
      List.of(
          new String[] {"libcuda.so.1", "the NVIDIA CUDA driver"},
          new String[] {"libcudart.so.12", "the CUDA 12 runtime"},
          new String[] {"libcublas.so.12", "cuBLAS 12"},
          new String[] {"libcublasLt.so.12", "cuBLASLt 12"},
          new String[] {"libnvinfer.so.10", "TensorRT 10.x"},
          new String[] {"libnvonnxparser.so.10", "the TensorRT 10.x ONNX parser"});

  public TensorRtEnvironment {
    libraries = List.copyOf(libraries);
    searched = List.copyOf(searched);
  }

  /** Looks at this machine: the loader's search path, ld.so.conf, CUDA's usual folders, the class path. */
  public static TensorRtEnvironment probe() {
    String platform =
        System.getProperty("os.arch").contains("aarch64") ? "linux-arm64" : "linux-x86_64";
    ClassLoader cl = TensorRtEnvironment.class.getClassLoader();
    // The bytedeco redist jars bundle the CUDA runtime and cuBLAS (never the driver or TensorRT).
    Predicate<String> bundled =
        so ->
            !so.startsWith("libcuda.")
                && !so.startsWith("libnvinfer")
                && !so.startsWith("libnvonnxparser")
                && cl.getResource("org/bytedeco/cuda/" + platform + "/" + so) != null;
    return probe(searchPath(), bundled);
  }

  /** Looks for the required libraries in {@code dirs}, or as class-path resources where {@code bundled} says so. */
  static TensorRtEnvironment probe(List<Path> dirs, Predicate<String> bundled) {
    List<Library> libs = new ArrayList<>();
    for (String[] r : REQUIRED) {
      String at = null;
      for (Path d : dirs) {
        if (Files.exists(d.resolve(r[0]))) {
          at = d.resolve(r[0]).toString();
          break;
        }
      }
      if (at == null && bundled.test(r[0])) {
        at = "class path (bytedeco redist)";
      }
      libs.add(new Library(r[0], r[1], at));
    }
    return new TensorRtEnvironment(libs, dirs);
  }

  /** Returns whether every library was found (loading may still fail, e.g. without a GPU). */
  public boolean ready() {
    return libraries.stream().allMatch(Library::found);
  }

  /** Returns the missing libraries. */
  public List<Library> missing() {
    return libraries.stream().filter(l -> !l.found()).toList();
  }

  /** Returns the missing libraries in words, e.g. {@code libcuda.so.1 (the NVIDIA CUDA driver)}. */
  public String describeMissing() {
    return missing().stream()
        .map(l -> l.soname() + " (" + l.purpose() + ")")
        .collect(Collectors.joining(", "));
  }

  /** Returns the folders the dynamic loader would search, as far as they can be known without it. */
  static List<Path> searchPath() {
    Set<Path> dirs = new LinkedHashSet<>();
    addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
    addPathList(dirs, System.getProperty("java.library.path"));
    readLdConf(dirs, Path.of("/etc/ld.so.conf"), 0);
    for (String d :
        List.of(
            "/lib",
            "/lib64",
            "/usr/lib",
            "/usr/lib64",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu/tegra",
            "/usr/local/cuda/lib64",
            "/usr/local/cuda/targets/x86_64-linux/lib",
            "/usr/local/cuda/targets/aarch64-linux/lib",
            "/usr/local/tensorrt/lib",
            "/usr/lib/wsl/lib")) {
      dirs.add(Path.of(d));
    }
    return dirs.stream().filter(Files::isDirectory).toList();
  }

  private static void addPathList(Set<Path> dirs, String list) {
    if (list == null) {
      return;
    }
    for (String s : list.split(":")) {
      if (!s.isBlank()) {
        try {
          dirs.add(Path.of(s));
        } catch (java.nio.file.InvalidPathException ignored) {
          // a malformed entry is skipped, as the loader does
        }
      }
    }
  }

  private static void readLdConf(Set<Path> dirs, Path conf, int depth) {
    if (depth > 4 || !Files.isRegularFile(conf)) {
      return;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(conf);
    } catch (IOException e) {
      return;
    }
    for (String raw : lines) {
      String line = raw.replaceAll("#.*", "").strip();
      if (line.startsWith("include ")) {
        String pattern = line.substring("include ".length()).strip();
        Path p = conf.getParent().resolve(pattern);
        Path dir = p.getParent();
        String glob = p.getFileName().toString();
        if (dir == null || !Files.isDirectory(dir)) {
          continue;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
          List<Path> files = new ArrayList<>();
          ds.forEach(files::add);
          files.sort(null);
          for (Path f : files) {
            readLdConf(dirs, f, depth + 1);
          }
        } catch (IOException ignored) {
          // unreadable includes are skipped, as ldconfig does
        }
      } else if (line.startsWith("/")) {
        dirs.add(Path.of(line.split("\\s+")[0]));
      }
    }
  }
}
