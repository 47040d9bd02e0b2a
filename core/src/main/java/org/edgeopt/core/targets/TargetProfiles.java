package org.edgeopt.core.targets;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;

/** The catalog of target profiles: the ones shipped with edgeopt, plus users' own JSON files. */
public final class TargetProfiles {
  private static final String BASE = "/org/edgeopt/core/targets/profiles/";
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
  private static volatile Map<String, TargetProfile> builtIn;

  private TargetProfiles() {}

  /** Returns the shipped profiles by name, in catalog order. */
  public static Map<String, TargetProfile> builtIn() {
    Map<String, TargetProfile> m = builtIn;
    if (m == null) {
      m = loadBuiltIn();
      builtIn = m;
    }
    return m;
  }

  /**
   * Returns a profile by name, or by path to a user's JSON profile.
   *
   * @throws EdgeoptException (exit 3) naming the known profiles when there is no such profile
   */
  public static TargetProfile get(String nameOrPath) throws EdgeoptException {
    if (nameOrPath == null || nameOrPath.isBlank()) {
      throw EdgeoptException.invalid(
          "no target given: expected one of "
              + String.join(", ", builtIn().keySet())
              + ", or a path to a profile .json");
    }
    TargetProfile p = builtIn().get(nameOrPath);
    if (p != null) {
      return p;
    }
    Path file = Path.of(nameOrPath);
    if (nameOrPath.endsWith(".json") && Files.isRegularFile(file)) {
      try {
        return JSON.readValue(file.toFile(), TargetProfile.class);
      } catch (IOException e) {
        throw EdgeoptException.invalid(
            file
                + ": not a valid target profile: "
                + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage()
                    : e.getMessage()),
            e);
      }
    }
    throw EdgeoptException.invalid(
        "unknown target '"
            + nameOrPath
            + "': expected one of "
            + String.join(", ", builtIn().keySet())
            + ", or a path to a profile .json");
  }

  private static Map<String, TargetProfile> loadBuiltIn() {
    Map<String, TargetProfile> m = new LinkedHashMap<>();
    for (String name : index()) {
      try (InputStream in = TargetProfiles.class.getResourceAsStream(BASE + name + ".json")) {
        if (in == null) {
          throw new IllegalStateException("target profile resource missing: " + name);
        }
        m.put(name, JSON.readValue(in, TargetProfile.class));
      } catch (IOException e) {
        throw new IllegalStateException("shipped target profile '" + name + "' does not load", e);
      }
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  private static List<String> index() {
    List<String> names = new ArrayList<>();
    try (InputStream in = TargetProfiles.class.getResourceAsStream(BASE + "index.txt");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          names.add(line.strip());
        }
      }
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("target profile index missing", e);
    }
    return names;
  }
}
