package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineLockTest {
  @TempDir Path out;

  @Test
  void lockHeldByThisProcessRefusesASecondTakerUntilReleased() throws Exception {
    try (PipelineLock first = PipelineLock.acquire(out)) {
      EdgeoptException e = assertThrows(EdgeoptException.class, () -> PipelineLock.acquire(out));
      assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
      assertTrue(
          e.getMessage()
              .contains("another edgeopt run (PID " + ProcessHandle.current().pid() + ")"),
          e.getMessage());
    }
    try (PipelineLock again = PipelineLock.acquire(out)) {
      assertEquals(
          ProcessHandle.current().pid() + "",
          Files.readString(out.resolve(PipelineLock.FILE)).strip());
    }
  }

  @Test
  void staleLockFileOfADeadProcessIsTakenOver() throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    assertFalse(p.isAlive());
    Files.writeString(out.resolve(PipelineLock.FILE), p.pid() + "\n");
    try (PipelineLock taken = PipelineLock.acquire(out)) {
      assertEquals(
          ProcessHandle.current().pid() + "",
          Files.readString(out.resolve(PipelineLock.FILE)).strip());
    }
  }
}
