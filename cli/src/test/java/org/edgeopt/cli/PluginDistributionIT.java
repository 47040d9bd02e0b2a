package org.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged command line, run as {@code ./edgeopt} runs it ({@code java -jar
 * target/edgeopt-cli.jar}): PyTorch is not on its class path but in {@code
 * plugins/torchscript/}, which still runs a TorchScript reference; without that folder a
 * TorchScript reference is invalid input naming the missing module.
 */
class PluginDistributionIT {
  private static final Path TARGET = Path.of("target").toAbsolutePath();
  private static final Path JAR = TARGET.resolve("edgeopt-cli.jar");
  private static final Path LIB = TARGET.resolve("lib");
  private static final Path PLUGIN = TARGET.resolve("plugins/torchscript");

  @TempDir Path tmp;

  /** The outcome of one {@code java -jar} run. */
  private record Run(int exitCode, String out, String err) {}

  private Run javaJar(Path jar, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("EDGEOPT_PLUGINS"); // only the distribution's own folder
    Path out = tmp.resolve("stdout.txt");
    Path err = tmp.resolve("stderr.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("edgeopt did not end: " + command);
    }
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private static boolean isPyTorch(String jar) {
    return jar.startsWith("pytorch-") || jar.startsWith("edgeopt-runtime-torchscript");
  }

  @Test
  void pyTorchIsOffTheClassPathAndInThePluginFolderOnce() throws Exception {
    String classPath;
    try (JarFile jar = new JarFile(JAR.toFile())) {
      classPath = jar.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
    }
    for (String entry : classPath.split(" ")) {
      assertFalse(isPyTorch(entry.substring(entry.lastIndexOf('/') + 1)), entry);
    }
    List<String> lib = names(LIB);
    assertTrue(lib.stream().noneMatch(PluginDistributionIT::isPyTorch), lib.toString());
    List<String> plugin = names(PLUGIN);
    for (String expected :
        List.of(
            "edgeopt-runtime-torchscript-",
            "pytorch-engine-",
            "pytorch-jni-",
            "pytorch-native-cpu-")) {
      assertTrue(plugin.stream().anyMatch(n -> n.startsWith(expected)), expected + " in " + plugin);
    }
    // What lib/ holds is the parent's: a second copy in the plug-in would never be loaded.
    assertTrue(plugin.stream().noneMatch(lib::contains), plugin + " vs lib " + lib);
  }

  @Test
  void aTorchScriptReferenceRunsFromThePluginFolder() throws Exception {
    SampleModel sample = SampleModels.fashionMnist();
    Run r =
        javaJar(
            JAR,
            "ingest",
            sample.model().toString(),
            "-o",
            tmp.resolve("out").toString(),
            "--reference",
            sample.torchscript().toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("within tolerance"), r.out());
  }

  @Test
  void withoutThePluginFolderATorchScriptReferenceIsInvalidInputNamingTheModule() throws Exception {
    // The distribution with plugins/ deleted: the same jar and lib/, no plug-in folder.
    Path dist = Files.createDirectories(tmp.resolve("dist"));
    Path jar = Files.copy(JAR, dist.resolve("edgeopt-cli.jar"));
    Files.createSymbolicLink(dist.resolve("lib"), LIB);
    SampleModel sample = SampleModels.fashionMnist();
    Path out = tmp.resolve("out");
    Run r =
        javaJar(
            jar,
            "ingest",
            sample.model().toString(),
            "-o",
            out.toString(),
            "--reference",
            sample.torchscript().toString());
    assertEquals(3, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("no runtime for this kind of file"), r.err());
    assertTrue(r.err().contains("edgeopt-runtime-torchscript"), r.err());
    assertTrue(r.err().contains(dist.resolve("plugins").toString()), r.err());
    assertFalse(Files.exists(out.resolve("model-card.json")), "no model card for a failed run");
  }
}
