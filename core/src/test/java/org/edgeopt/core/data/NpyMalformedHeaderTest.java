package org.edgeopt.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Excerpt;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14: a malformed {@code .npy} header made a message of ~64 KB of NUL bytes. */
class NpyMalformedHeaderTest {
  @TempDir Path dir;

  private Path npy(int declaredLength, byte[] header) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.write(declaredLength & 0xff);
    b.write((declaredLength >> 8) & 0xff);
    b.write(header);
    Path p = dir.resolve("x.npy");
    Files.write(p, b.toByteArray());
    DataFiles.npy(dir.resolve("labels.npy"), "<i8", new long[] {1}, DataFiles.int64(0), false);
    return p;
  }

  @Test
  void headerLength65535PastTheEndOfTheFileIsRefusedInOneShortLine() throws Exception {
    Path p = npy(0xffff, "{'descr': '<f4'".getBytes(StandardCharsets.US_ASCII));
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(p, Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains("declares 65535 bytes"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, e.getMessage());
  }

  @Test
  void headerOf4000NulBytesIsEscapedAndClipped() throws Exception {
    Path p = npy(4000, new byte[4000]);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(p, Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertFalse(e.getMessage().contains("\0"), "no raw NUL bytes");
    assertFalse(e.getMessage().contains("\n"), "one line");
    assertTrue(
        e.getMessage().contains("\\0\\0") && e.getMessage().contains("more characters"),
        e.getMessage());
    assertTrue(
        e.getMessage().length() < 2 * Excerpt.DEFAULT_MAX + 300,
        e.getMessage().length() + " characters");
  }

  @Test
  void excerptEscapesControlCharactersAndSaysHowMuchWasClipped() {
    assertEquals("a\\0b\\nc\\x1b[31m", Excerpt.of("a\0b\nc\u001b[31m"));
    assertEquals("abc... (2 more characters)", Excerpt.of("abcde", 3));
  }
}
