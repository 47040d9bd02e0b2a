package org.edgeopt.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 content hashes for provenance and for skipping unchanged pipeline stages. */
public final class Hashes {
  private Hashes() {}

  /** Returns a fresh SHA-256 digest. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** Returns the hex SHA-256 of a file's bytes. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Returns the hex SHA-256 of a byte array. */
  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  /**
   * Returns the hex SHA-256 of a file, or of every regular file below a folder (paths and
   * contents, in sorted order), so a data folder has one stable fingerprint.
   */
  public static String sha256Tree(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      return sha256(path);
    }
    MessageDigest md = sha256();
    try (var files = Files.walk(path)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        md.update(path.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(sha256(f).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
