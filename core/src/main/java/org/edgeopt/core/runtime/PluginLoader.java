package org.edgeopt.core.runtime;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Finds services (such as {@link RuntimeProvider}s) in plug-in folders outside the class path,
 * so that a distribution can leave a heavy runtime (PyTorch's 107 MB native jar) out of its
 * class path and open it only when a model needs it.
 *
 * <p>A plug-in root is a folder whose sub-folders are plug-ins ({@code plugins/torchscript/});
 * a root that holds jars itself is one plug-in too. Each plug-in's jars get one class loader
 * whose parent is the loader of {@code core}, so plug-ins share edgeopt's and the class path's
 * classes. Roots come from the system property {@value #PROPERTY} and the environment variable
 * {@value #ENV} (path lists, separated as the platform's class path); the CLI adds the {@code
 * plugins} folder beside its jar. Nothing is opened until {@link #load} is first called, and
 * the class loaders of a set of roots are made once per JVM: a native library can be bound to
 * one class loader only.
 */
public final class PluginLoader {
  /** The system property that lists plug-in roots. */
  public static final String PROPERTY = "edgeopt.plugins";

  /** The environment variable that lists plug-in roots (after those of {@link #PROPERTY}). */
  public static final String ENV = "EDGEOPT_PLUGINS";

  private static final Map<List<Path>, PluginLoader> BY_ROOTS = new ConcurrentHashMap<>();

  private final List<Path> roots;
  private List<ClassLoader> classLoaders; // made on first use, guarded by this

  private PluginLoader(List<Path> roots) {
    this.roots = roots;
  }

  /** Returns the loader of the roots named by {@value #PROPERTY} and {@value #ENV} now. */
  public static PluginLoader fromEnvironment() {
    LinkedHashSet<Path> roots = new LinkedHashSet<>();
    for (String list : new String[] {System.getProperty(PROPERTY), System.getenv(ENV)}) {
      if (list == null) {
        continue;
      }
      for (String entry : list.split(File.pathSeparator)) {
        if (!entry.isBlank()) {
          roots.add(Path.of(entry.strip()));
        }
      }
    }
    return forRoots(List.copyOf(roots));
  }

  /** Returns the loader of the given plug-in roots (the same instance for the same roots). */
  public static PluginLoader forRoots(List<Path> roots) {
    List<Path> key = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    return BY_ROOTS.computeIfAbsent(key, PluginLoader::new);
  }

  /**
   * Appends {@code root} to the {@value #PROPERTY} system property, unless it is there already:
   * how a front end names the plug-in folder of its own distribution.
   */
  public static void addRootToSystemProperty(Path root) {
    String current = System.getProperty(PROPERTY);
    String entry = root.toAbsolutePath().normalize().toString();
    if (current == null || current.isBlank()) {
      System.setProperty(PROPERTY, entry);
    } else if (!List.of(current.split(File.pathSeparator)).contains(entry)) {
      System.setProperty(PROPERTY, current + File.pathSeparator + entry);
    }
  }

  /** Returns the plug-in roots, absolute, in search order. */
  public List<Path> roots() {
    return roots;
  }

  /** Returns whether a plug-in's class loader has been made (no jar is opened before). */
  public synchronized boolean opened() {
    return classLoaders != null;
  }

  /**
   * Returns the services of type {@code service} that the plug-ins provide (not those of the
   * class path), each with the class loader of its plug-in, in root and folder-name order.
   */
  public <S> List<Found<S>> load(Class<S> service) {
    List<Found<S>> found = new ArrayList<>();
    for (ClassLoader loader : classLoaders()) {
      ServiceLoader.load(service, loader).stream()
          // The parent's registrations are visible too: keep only the plug-in's own.
          .filter(p -> p.type().getClassLoader() == loader)
          .forEach(p -> found.add(new Found<>(p.get(), loader)));
    }
    return found;
  }

  /** One service a plug-in provides, with the class loader its libraries expect as context. */
  public record Found<S>(S service, ClassLoader loader) {}

  private synchronized List<ClassLoader> classLoaders() {
    if (classLoaders == null) {
      ClassLoader parent = PluginLoader.class.getClassLoader();
      List<ClassLoader> loaders = new ArrayList<>();
      for (Path folder : pluginFolders()) {
        loaders.add(
            new URLClassLoader("edgeopt-plugin:" + folder.getFileName(), jars(folder), parent));
      }
      classLoaders = List.copyOf(loaders);
    }
    return classLoaders;
  }

  /** The folders that hold a plug-in's jars: each root that holds jars, then its sub-folders. */
  private List<Path> pluginFolders() {
    List<Path> folders = new ArrayList<>();
    for (Path root : roots) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      if (jars(root).length > 0) {
        folders.add(root);
      }
      try (Stream<Path> children = Files.list(root)) {
        children
            .filter(Files::isDirectory)
            .sorted()
            .filter(d -> jars(d).length > 0)
            .forEach(folders::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list the plug-in folder " + root, e);
      }
    }
    return folders;
  }

  private static URL[] jars(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      List<Path> jars =
          files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
      URL[] urls = new URL[jars.size()];
      for (int i = 0; i < urls.length; i++) {
        urls[i] = jars.get(i).toUri().toURL();
      }
      return urls;
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the plug-in folder " + folder, e);
    }
  }
}
