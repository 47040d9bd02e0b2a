package org.edgeopt.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.io.Hashes;

/**
 * What each stage consumed last time ({@code .edgeopt-state.json} in the output folder): its
 * input fingerprint, its artifacts and its key figure, so an unchanged stage can be skipped.
 */
final class StageState {
  static final String FILE = ".edgeopt-state.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One stage's record.
   *
   * @param fingerprint SHA-256 over the stage's inputs and config
   * @param artifacts the files it wrote
   * @param keyFigure its headline figure
   * @param sha256 the SHA-256 of each artifact (a folder's over its files) when the stage ended,
   *     so a changed, truncated or missing artifact makes the stage run again; null in a state file
   *     written before it was recorded, which counts as out of date
   */
  record Entry(
      String fingerprint, List<String> artifacts, String keyFigure, Map<String, String> sha256) {
    Entry(String fingerprint, List<String> artifacts, String keyFigure) {
      this(fingerprint, artifacts, keyFigure, null);
    }

    /** Returns this entry with the current SHA-256 of each artifact. */
    Entry withHashes() throws IOException {
      Map<String, String> h = new LinkedHashMap<>();
      for (String a : artifacts) {
        h.put(a, Hashes.sha256Tree(Path.of(a)));
      }
      return new Entry(fingerprint, artifacts, keyFigure, h);
    }
  }

  private final Path file;
  private final Map<String, Entry> entries;

  private StageState(Path file, Map<String, Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  /** Loads the state of an output folder; a missing or unreadable file means nothing is up to date. */
  static StageState load(Path outputDir) {
    Path f = outputDir.resolve(FILE);
    Map<String, Entry> m = new LinkedHashMap<>();
    if (Files.isRegularFile(f)) {
      try {
        m.putAll(JSON.readValue(f.toFile(), new TypeReference<Map<String, Entry>>() {}));
      } catch (IOException e) {
        // A damaged state file only costs a full re-run.
        m.clear();
      }
    }
    return new StageState(f, m);
  }

  /**
   * Returns the entry of a stage if its fingerprint matches and every artifact exists with the
   * content it had when the stage wrote it; null when the stage must run again.
   */
  Entry upToDate(String stage, String fingerprint) {
    Entry e = entries.get(stage);
    if (e == null || !e.fingerprint().equals(fingerprint) || e.sha256() == null) {
      return null;
    }
    for (String a : e.artifacts()) {
      Path p = Path.of(a);
      String want = e.sha256().get(a);
      try {
        if (want == null || !Files.exists(p) || !want.equals(Hashes.sha256Tree(p))) {
          return null;
        }
      } catch (IOException unreadable) {
        return null;
      }
    }
    return e;
  }

  /** Records a stage's run and saves the state atomically. */
  void record(String stage, Entry entry) throws IOException {
    entries.put(stage, entry);
    AtomicFiles.writeString(file, JSON.writeValueAsString(entries) + "\n");
  }

  /** Forgets a stage (it failed or its inputs are gone). */
  void forget(String stage) throws IOException {
    if (entries.remove(stage) != null) {
      AtomicFiles.writeString(file, JSON.writeValueAsString(entries) + "\n");
    }
  }
}
