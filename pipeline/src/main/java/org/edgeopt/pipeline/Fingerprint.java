package org.edgeopt.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.edgeopt.core.Version;
import org.edgeopt.core.io.Hashes;

/** Builds a stage fingerprint from file contents and config values. */
final class Fingerprint {
  private final MessageDigest md = Hashes.sha256();

  Fingerprint(String stage) {
    text("edgeopt " + Version.get() + " stage " + stage);
  }

  /** Adds a file's or folder's content hash (or a marker when absent). */
  Fingerprint file(Path p) throws IOException {
    return text(p == null ? "<none>" : Hashes.sha256Tree(p));
  }

  /** Adds a config value. */
  Fingerprint text(Object value) {
    md.update(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    return this;
  }

  String hex() {
    return HexFormat.of().formatHex(md.digest());
  }
}
