package org.edgeopt.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The name and version of this edgeopt build, for provenance and {@code --version}. */
public final class Version {
  /** The producer name stamped into every artifact. */
  public static final String PRODUCER = "edgeopt";

  private static final String VERSION = load();

  private Version() {}

  /** Returns the version of this build, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in =
        Version.class.getResourceAsStream("/org/edgeopt/core/version.properties")) {
      if (in == null) {
        return "dev";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "dev");
    } catch (IOException e) {
      return "dev";
    }
  }
}
