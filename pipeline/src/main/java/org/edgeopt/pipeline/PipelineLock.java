package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Excerpt;

/**
 * The lock that keeps two {@code edgeopt run}s out of one output folder ({@value #FILE}).
 *
 * <p>It is an operating-system lock on the file, which the system releases when its process dies
 * however it dies: a lock left by a dead process is therefore simply taken over, with no PID
 * guessing. The file holds the holder's PID so that the refusal can name it. The file itself is
 * left in place: deleting it while another process waits on it would let two processes lock two
 * different files of the same name.
 */
final class PipelineLock implements AutoCloseable {
  static final String FILE = ".edgeopt.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private PipelineLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code outputDir}.
   *
   * @throws EdgeoptException (exit 3) when another run holds it, naming that run's PID
   */
  static PipelineLock acquire(Path outputDir) throws EdgeoptException {
    Path file = outputDir.resolve(FILE);
    FileChannel ch = null;
    try {
      ch =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException sameProcess) {
        l = null;
      }
      if (l == null) {
        String holder = holder(ch);
        ch.close();
        throw EdgeoptException.invalid(
            outputDir
                + ": another edgeopt run (PID "
                + holder
                + ") is using this output"
                + " folder (lock "
                + file
                + "); wait for it to finish, or use another output folder");
      }
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(pid), 0);
      ch.force(false);
      return new PipelineLock(ch, l);
    } catch (IOException e) {
      closeQuietly(ch);
      throw EdgeoptException.invalid(
          file + ": cannot lock the output folder: " + e.getMessage(), e);
    }
  }

  private static String holder(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(32);
    ch.read(b, 0);
    String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
    return s.matches("\\d{1,19}") ? s : "unknown: the lock file says \"" + Excerpt.of(s, 20) + "\"";
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Closing releases the lock; nothing more can be done about a failing close.
      }
    }
  }

  /** Releases the lock (the file stays, see the class comment). */
  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
