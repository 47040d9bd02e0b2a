package org.edgeopt.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the jar branch of {@link SampleModels}: resources inside a jar are extracted once, atomically. */
class SampleExtractionTest {

  @TempDir Path tmp;

  @Test
  void extractsFromAJarOnceAndReusesTheCopy() throws Exception {
    SampleModel onDisk = SampleModels.digits();
    Path jar = jarOf(onDisk, null);
    Path cache = tmp.resolve("cache");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      SampleModel extracted = SampleModels.load(SampleModels.DIGITS, loader, cache);
      String sha =
          SampleModels.hex(
              SampleModels.sha256(Files.readAllBytes(onDisk.directory().resolve("sample.json"))));
      assertEquals(cache.resolve(sha), extracted.directory());
      assertEquals(onDisk.holdout().count(), extracted.holdout().count());
      assertEquals(onDisk.fp32HoldoutCorrect(), extracted.fp32HoldoutCorrect());
      List<Path> a = onDisk.files();
      List<Path> b = extracted.files();
      assertEquals(a.size(), b.size());
      for (int i = 0; i < a.size(); i++) {
        assertTrue(b.get(i).startsWith(extracted.directory()), b.get(i).toString());
        assertArrayEquals(
            Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), b.get(i).toString());
      }
      long modified = Files.getLastModifiedTime(extracted.model()).toMillis();

      SampleModel again = SampleModels.load(SampleModels.DIGITS, loader, cache);
      assertEquals(extracted, again);
      assertEquals(
          modified, Files.getLastModifiedTime(again.model()).toMillis(), "not extracted twice");
      try (Stream<Path> entries = Files.list(cache)) {
        assertEquals(
            List.of(cache.resolve(sha)), entries.toList(), "no temporary folders left behind");
      }
    }
  }

  @Test
  void concurrentLoadsAgreeOnOneCopy() throws Exception {
    Path cache = tmp.resolve("cache");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<SampleModel>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        // one jar copy and class loader per task, as separate JVMs would have (loaders of one
        // jar file share an open JarFile, which the first close() would shut for all)
        Path jar = jarOf(SampleModels.digits(), null);
        futures.add(
            pool.submit(
                () -> {
                  try (URLClassLoader loader =
                      new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
                    return SampleModels.load(SampleModels.DIGITS, loader, cache);
                  }
                }));
      }
      Path dir = futures.get(0).get().directory();
      for (Future<SampleModel> f : futures) {
        assertEquals(dir, f.get().directory());
      }
      try (Stream<Path> entries = Files.list(cache)) {
        assertEquals(List.of(dir), entries.toList(), "no temporary folders left behind");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anIncompleteLeftoverIsReplaced() throws Exception {
    SampleModel onDisk = SampleModels.digits();
    Path jar = jarOf(onDisk, null);
    Path cache = tmp.resolve("cache");
    byte[] descriptor = Files.readAllBytes(onDisk.directory().resolve("sample.json"));
    Path target = cache.resolve(SampleModels.hex(SampleModels.sha256(descriptor)));
    Files.createDirectories(target);
    Files.write(target.resolve("sample.json"), descriptor); // as if a user had deleted the rest
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      SampleModel extracted = SampleModels.load(SampleModels.DIGITS, loader, cache);
      assertEquals(target, extracted.directory());
      assertArrayEquals(Files.readAllBytes(onDisk.model()), Files.readAllBytes(extracted.model()));
    }
    try (Stream<Path> entries = Files.list(cache)) {
      assertEquals(List.of(target), entries.toList(), "no temporary or stale folders left behind");
    }
  }

  @Test
  void aCorruptedResourceIsRejected() throws Exception {
    Path jar = jarOf(SampleModels.digits(), "holdout.csv");
    Path cache = tmp.resolve("cache");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> SampleModels.load(SampleModels.DIGITS, loader, cache));
      assertTrue(
          e.getMessage().contains("SHA-256") && e.getMessage().contains("holdout.csv"),
          e.getMessage());
    }
    try (Stream<Path> entries = Files.list(cache)) {
      assertEquals(List.of(), entries.toList(), "nothing published after a failed extraction");
    }
  }

  @Test
  void aSampleMissingFromTheClassPathIsAClearError() throws Exception {
    try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> SampleModels.load(SampleModels.DIGITS, empty, tmp));
      assertTrue(
          e.getMessage().contains("org/edgeopt/samples/models/digits-mlp/sample.json"),
          e.getMessage());
    }
  }

  /** Packs a sample's folder into a jar under its classpath location, optionally corrupting one file. */
  private Path jarOf(SampleModel sample, String corrupt) throws IOException {
    Path jar = Files.createTempFile(tmp, "samples", ".jar");
    Path dir = sample.directory();
    String prefix = SampleModels.RESOURCE_ROOT + sample.name() + "/";
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        String rel = dir.relativize(p).toString().replace('\\', '/');
        out.putNextEntry(new JarEntry(prefix + rel));
        byte[] bytes = Files.readAllBytes(p);
        if (rel.equals(corrupt)) {
          bytes[bytes.length - 2] ^= 1;
        }
        out.write(bytes);
        out.closeEntry();
      }
    }
    return jar;
  }
}
