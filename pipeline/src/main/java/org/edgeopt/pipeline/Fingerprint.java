package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.edgeopt.core.Version;
import org.edgeopt.core.io.Hashes;

/**
 * A stage fingerprint over file contents and config values. Files are hashed only when
 * {@link #hex()} is called, i.e. when the stage is reached, since earlier stages write them.
 */
final class Fingerprint {
  private final List<Object> parts = new ArrayList<>();

  Fingerprint(String stage) {
    parts.add("edgeopt " + Version.get() + " stage " + stage);
  }

  /** Adds a file's or folder's content (a marker when null or absent). */
  Fingerprint file(Path p) {
    parts.add(p == null ? "<none>" : p);
    return this;
  }

  /** Adds a config value. */
  Fingerprint text(Object value) {
    parts.add(String.valueOf(value));
    return this;
  }

  /** Returns the SHA-256 over every part, hashing the files now. */
  String hex() throws IOException {
    MessageDigest md = Hashes.sha256();
    for (Object o : parts) {
      String s =
          o instanceof Path p
              ? (Files.exists(p) ? Hashes.sha256Tree(p) : "<absent " + p + ">")
              : (String) o;
      md.update(s.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
