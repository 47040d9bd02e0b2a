package org.edgeopt.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtimes come from plug-in folders that are not on the class path: a jar compiled here, never
 * seen by the test's class loader, is found, run with its own context class loader, opened only
 * when no built-in runtime takes the file, and its absence is invalid input naming the folders.
 */
class PluginLoaderTest {
  /** A plug-in for ".fake" files whose sessions report the context class loader they opened in. */
  private static final String PROVIDER_SOURCE =
      """
      package fake;

      import java.nio.file.Path;
      import java.util.List;
      import java.util.Map;
      import org.edgeopt.core.graph.Graph;
      import org.edgeopt.core.graph.Tensor;
      import org.edgeopt.core.graph.TensorType;
      import org.edgeopt.core.runtime.*;

      public final class FakeProvider implements RuntimeProvider {
        public boolean accepts(Path model) {
          return model.getFileName().toString().endsWith(".fake");
        }

        public InferenceRuntime runtime() {
          return new InferenceRuntime() {
            public String name() { return "fake"; }

            public InferenceSession open(Graph graph, SessionOptions options) {
              throw new UnsupportedOperationException();
            }

            public InferenceSession open(Path model, SessionOptions options) {
              String context = Thread.currentThread().getContextClassLoader().getName();
              return new InferenceSession() {
                public List<String> inputNames() { return List.of(context); }
                public List<String> outputNames() { return List.of(); }
                public Map<String, TensorType> inputTypes() { return Map.of(); }
                public Map<String, Tensor> run(Map<String, Tensor> in, List<String> out) {
                  return Map.of();
                }
                public void close() {}
              };
            }
          };
        }
      }
      """;

  private static Path pluginJar;

  @TempDir static Path built;

  @TempDir Path tmp;

  @BeforeAll
  static void buildThePluginJar() throws Exception {
    Path src = built.resolve("src/fake/FakeProvider.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, PROVIDER_SOURCE);
    Path classes = Files.createDirectories(built.resolve("classes"));
    String coreClasses =
        Path.of(RuntimeProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc =
        javac.run(null, null, null, "-cp", coreClasses, "-d", classes.toString(), src.toString());
    assertEquals(0, rc, "javac of the fake plug-in");
    pluginJar = built.resolve("fake-plugin.jar");
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(pluginJar));
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        jar.putNextEntry(
            new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
        Files.copy(f, jar);
      }
      jar.putNextEntry(new JarEntry("META-INF/services/" + RuntimeProvider.class.getName()));
      jar.write("fake.FakeProvider\n".getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Lays out {@code root/fake/fake-plugin.jar}, as the CLI's {@code plugins/torchscript/}. */
  private Path pluginRoot() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("plugins/fake"));
    Files.copy(pluginJar, folder.resolve("fake-plugin.jar"));
    return tmp.resolve("plugins");
  }

  @Test
  void aFormatNoBuiltInRuntimeTakesRunsInThePluginWithItsOwnContextClassLoader() throws Exception {
    PluginLoader plugins = PluginLoader.forRoots(List.of(pluginRoot()));
    InferenceRuntime r = Runtimes.forModel(Path.of("m.fake"), List.of("x"), () -> plugins);
    assertEquals("fake", r.name());
    assertTrue(plugins.opened());
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    try (InferenceSession s = r.open(Path.of("m.fake"), SessionOptions.defaults())) {
      assertEquals(List.of("edgeopt-plugin:fake"), s.inputNames());
    }
    assertSame(before, Thread.currentThread().getContextClassLoader(), "context loader restored");
    // The plug-in's classes are its own: the test's class path cannot load them.
    assertThrows(ClassNotFoundException.class, () -> Class.forName("fake.FakeProvider"));
  }

  @Test
  void onnxAndBuiltInFormatsNeverOpenThePluginFolders() throws Exception {
    PluginLoader plugins = PluginLoader.forRoots(List.of(pluginRoot()));
    assertSame(
        OrtRuntime.get(),
        Runtimes.forModel(
            Path.of("m.onnx"),
            List.of(),
            () -> {
              throw new AssertionError("plug-in folders asked for an .onnx model");
            }));
    assertFalse(plugins.opened());
  }

  @Test
  void withoutThePluginFolderTheFormatIsInvalidInputNamingTheFoldersSearched() throws Exception {
    Path root = pluginRoot();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(f); // as a user deleting plugins/ from the distribution
      }
    }
    PluginLoader plugins = PluginLoader.forRoots(List.of(root));
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Runtimes.forModel(Path.of("m.fake"), List.of("x"), () -> plugins));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(
        e.getMessage().startsWith("m.fake: no runtime for this kind of file"), e.getMessage());
    assertTrue(e.getMessage().contains("edgeopt-runtime-torchscript"), e.getMessage());
    assertTrue(e.getMessage().contains("plug-in folders searched: " + root), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
  }

  @Test
  void theSameRootsShareOneLoaderSoANativeLibraryIsBoundOnce() throws Exception {
    Path root = pluginRoot();
    assertSame(
        PluginLoader.forRoots(List.of(root)),
        PluginLoader.forRoots(List.of(root.resolve("fake/..").resolve("."))));
    assertNotSame(PluginLoader.forRoots(List.of(root)), PluginLoader.forRoots(List.of(tmp)));
  }

  @Test
  void theSystemPropertyNamesTheRootsAndTheFrontEndAppendsItsOwn() throws Exception {
    String saved = System.getProperty(PluginLoader.PROPERTY);
    try {
      Path a = tmp.resolve("a");
      Path b = tmp.resolve("b");
      System.setProperty(PluginLoader.PROPERTY, a.toString());
      PluginLoader.addRootToSystemProperty(b);
      PluginLoader.addRootToSystemProperty(b);
      List<Path> roots = PluginLoader.fromEnvironment().roots();
      assertEquals(List.of(a, b), roots.subList(0, 2));
    } finally {
      if (saved == null) {
        System.clearProperty(PluginLoader.PROPERTY);
      } else {
        System.setProperty(PluginLoader.PROPERTY, saved);
      }
    }
  }
}
