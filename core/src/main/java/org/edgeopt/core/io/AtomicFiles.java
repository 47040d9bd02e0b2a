package org.edgeopt.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files through a temporary sibling and a rename, so readers never see a partial file.
 *
 * <p>Temporary files and folders are named {@code .<name>.<pid>.<n>.tmp} beside their target. They
 * are removed when the write ends (normally or not), by a shutdown hook on SIGINT/SIGTERM, and, for
 * a process that died without running its hooks (SIGKILL, power loss), by the next edgeopt process
 * that writes into the same folder: the PID in the name tells whether the owner is still alive.
 */
public final class AtomicFiles {
  /** {@code .<anything>.<pid>.<n>.tmp}: the PID is the second-to-last dotted field. */
  private static final Pattern TEMP_NAME = Pattern.compile("^\\..*\\.(\\d+)\\.(\\d+)\\.tmp$");

  private static final long PID = ProcessHandle.current().pid();
  private static final AtomicLong COUNTER = new AtomicLong();

  /** Temporary paths this process owns and has not yet renamed or removed. */
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  /** Folders already swept for stale temporary files in this process. */
  private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();

  static {
    Thread hook = new Thread(AtomicFiles::removeLive, "edgeopt-temp-cleanup");
    try {
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // Nothing to register for: the JVM is exiting and no temp file exists yet.
    }
  }

  private AtomicFiles() {}

  /** Something that writes the content of a file to a stream. */
  @FunctionalInterface
  public interface Writer {
    /** Writes the whole content to {@code out}. */
    void write(OutputStream out) throws IOException;
  }

  /** Writes {@code target} atomically: the content goes to a temporary file first. */
  public static void write(Path target, Writer writer) throws IOException {
    write(target, writer, false);
  }

  /**
   * Writes a UTF-8 script atomically as an executable file (mode 755 where the file system has
   * POSIX modes, else executable for everyone): it is never seen half-written nor yet unexecutable.
   */
  public static void writeExecutable(Path target, String text) throws IOException {
    write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)), true);
  }

  private static void write(Path target, Writer writer, boolean executable) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = tempSibling(abs);
    try {
      // CREATE_NEW without explicit attributes: the mode is 0666 filtered by the umask (0644 as a
      // rule), as for any file a user writes; Files.createTempFile would make it owner-only.
      try (OutputStream out =
          Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        writer.write(out);
      }
      if (executable) {
        // A new file's mode is 0666 filtered by the umask; a script must also be executable.
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
          tmp.toFile().setExecutable(true, false);
        }
      }
      moveInPlace(tmp, abs);
    } finally {
      release(tmp);
    }
  }

  /** Writes a byte array atomically. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, out -> out.write(bytes));
  }

  /** Writes a UTF-8 string atomically. */
  public static void writeString(Path target, String text) throws IOException {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes several files, possibly in different folders, all or nothing: every content goes to a
   * temporary sibling first, and only when all of them are written are they renamed into place. A
   * folder that cannot be written to fails the whole write before any target changes.
   */
  public static void writeAll(Map<Path, byte[]> contents) throws IOException {
    Map<Path, Path> temps = new LinkedHashMap<>();
    try {
      for (Map.Entry<Path, byte[]> e : contents.entrySet()) {
        Path abs = e.getKey().toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException(abs + ": expected a file or nothing, found a folder");
        }
        Path tmp = tempSibling(abs);
        temps.put(abs, tmp);
        Files.write(tmp, e.getValue(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      }
      for (Map.Entry<Path, Path> e : temps.entrySet()) {
        moveInPlace(e.getValue(), e.getKey());
      }
    } finally {
      for (Path tmp : temps.values()) {
        release(tmp);
      }
    }
  }

  /**
   * Returns a fresh temporary path beside {@code target} (nothing is created), owned by this
   * process: removed at exit unless {@link #release} or a rename consumed it first. Also sweeps
   * the folder once for stale temporary files of dead processes.
   */
  public static Path tempSibling(Path target) {
    Path abs = target.toAbsolutePath().normalize();
    Path dir = abs.getParent();
    removeStale(dir);
    Path tmp =
        dir.resolve("." + abs.getFileName() + "." + PID + "." + COUNTER.incrementAndGet() + ".tmp");
    LIVE.add(tmp);
    return tmp;
  }

  /** Removes a temporary path (file or folder) if it still exists and forgets it. */
  public static void release(Path tmp) throws IOException {
    try {
      deleteTree(tmp);
    } finally {
      LIVE.remove(tmp);
    }
  }

  /**
   * Removes the temporary files and folders in {@code dir} whose owning process is no longer
   * alive; once per folder and process. Returns how many were removed.
   */
  public static int removeStale(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    if (!SWEPT.add(abs) || !Files.isDirectory(abs)) {
      return 0;
    }
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(abs, ".*.tmp")) {
      for (Path p : entries) {
        Long owner = ownerPid(p.getFileName().toString());
        if (owner != null && isStale(p, owner)) {
          try {
            deleteTree(p);
            removed++;
          } catch (IOException e) {
            // Someone else's leftover that we may not remove: it stays, and harms nobody.
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // An unreadable folder is reported by the write that follows, with its own message.
    }
    return removed;
  }

  /**
   * Returns whether a temporary path belongs to no live writer: its process is gone or, as PIDs
   * repeat across container starts, it carries this process's PID without being one of its own.
   */
  private static boolean isStale(Path p, long owner) {
    if (owner == PID) {
      return !LIVE.contains(p);
    }
    return !ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Returns the PID a temporary file name carries, or null when it is not one of ours. */
  static Long ownerPid(String fileName) {
    Matcher m = TEMP_NAME.matcher(fileName);
    if (!m.matches()) {
      return null;
    }
    try {
      return Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Returns whether {@code fileName} is named like one of edgeopt's temporary files. */
  public static boolean isTempName(String fileName) {
    return ownerPid(fileName) != null;
  }

  /** Renames {@code tmp} onto {@code target}, atomically where the file system can. */
  public static void moveInPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    LIVE.remove(tmp);
  }

  /**
   * Opens a staging folder beside the files of {@code dir}: a multi-file output is written into it
   * and appears in {@code dir} only when {@link Staging#commit} renames it all in, so a failure or
   * a signal leaves none of it behind.
   */
  public static Staging stage(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    Files.createDirectories(abs);
    Path tmp = tempSibling(abs.resolve("staging"));
    Files.createDirectory(tmp);
    return new Staging(abs, tmp);
  }

  /** A folder of files that all move into their destination together, or not at all. */
  public static final class Staging implements AutoCloseable {
    private final Path dir;
    private final Path folder;
    private final Map<String, Path> files = new LinkedHashMap<>();
    private boolean committed;

    private Staging(Path dir, Path folder) {
      this.dir = dir;
      this.folder = folder;
    }

    /** Returns where to write the staged file {@code name}; it lands at {@code dir/name} on commit. */
    public Path file(String name) {
      if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
        throw new IllegalArgumentException(
            "a staged file name is a plain name, found '" + name + "'");
      }
      Path p = folder.resolve(name);
      files.put(name, p);
      return p;
    }

    /** Returns the final path of the staged file {@code name}. */
    public Path target(String name) {
      return dir.resolve(name);
    }

    /**
     * Moves every staged file that exists into the destination folder, each by an atomic rename,
     * and returns their final paths in staging order.
     */
    public List<Path> commit() throws IOException {
      // Staged files in the order they were named, then any a tool wrote into the folder itself.
      List<String> names = new ArrayList<>(files.keySet());
      try (Stream<Path> s = Files.list(folder)) {
        s.map(p -> p.getFileName().toString())
            .sorted()
            .filter(n -> !files.containsKey(n))
            .forEach(names::add);
      }
      // Refuse before the first rename, so that a destination that cannot be replaced leaves
      // none of the files in place rather than some of them.
      for (String name : names) {
        Path target = dir.resolve(name);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException(target + ": expected a file or nothing, found a folder");
        }
      }
      if (!Files.isWritable(dir)) {
        throw new IOException(dir + ": the folder is not writable");
      }
      List<Path> done = new ArrayList<>();
      for (String name : names) {
        Path staged = folder.resolve(name);
        if (Files.exists(staged, LinkOption.NOFOLLOW_LINKS)) {
          Path target = dir.resolve(name);
          moveInPlace(staged, target);
          done.add(target);
        }
      }
      committed = true;
      release(folder);
      return done;
    }

    /** Returns the staging folder, for tools that write their outputs into a folder they are given. */
    public Path folder() {
      return folder;
    }

    /** Removes the staging folder and anything still in it. */
    @Override
    public void close() throws IOException {
      release(folder);
      if (!committed) {
        files.clear();
      }
    }
  }

  private static void removeLive() {
    for (Path p : List.copyOf(LIVE)) {
      try {
        deleteTree(p);
      } catch (IOException | RuntimeException e) {
        // Best effort while the JVM exits; the next start removes what is left.
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> s = Files.walk(p)) {
        for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(q);
        }
      }
    } else {
      Files.deleteIfExists(p);
    }
  }
}
