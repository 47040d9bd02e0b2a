package org.edgeopt.optimize;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;

/**
 * {@code search.json}: the search's inputs and every trial so far, written atomically after each
 * trial so that an interrupted search resumes from it ({@code --resume}).
 *
 * @param formatVersion the file format version
 * @param version the edgeopt version that wrote it
 * @param fingerprint what the trials depend on (input hashes, target, bar, objective, seed,
 *     samples): a resumed search must match it
 * @param request the request as given, for the reader
 * @param fp32Top1 the FP32 model's top-1 on the holdout, percent
 * @param latency {@code measured} (ONNX Runtime on this host, interleaved with FP32) or
 *     {@code modelled} (roofline over LayerCosts)
 * @param searchSeconds wall time spent over all runs, set-up included
 * @param trials every trial, in order
 * @param rankings per-layer rankings (noisiest first) by configuration key, measured once each
 * @param winner the index of the chosen trial, or -1 while searching or when none ran
 * @param met whether the chosen trial meets the bar
 * @param why one line on why the winner won, or on the closest miss
 */
public record SearchLog(
    int formatVersion,
    String version,
    Map<String, String> fingerprint,
    Map<String, String> request,
    double fp32Top1,
    String latency,
    double searchSeconds,
    List<Trial> trials,
    Map<String, List<String>> rankings,
    int winner,
    boolean met,
    String why) {

  /** The file name inside the output folder. */
  public static final String FILE = "search.json";

  /**
   * The current format version. 2 added the pruning dimensions to each trial's configuration
   * ({@code pruneChannels}, {@code twoFour}).
   */
  public static final int FORMAT_VERSION = 2;

  /**
   * The oldest format read: a version 1 configuration is a version 2 one without pruning (its
   * absent fields read as 0 and false, and its keys are unchanged), so it is upgraded on read.
   */
  public static final int OLDEST_FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public SearchLog {
    fingerprint = Map.copyOf(fingerprint);
    trials = List.copyOf(trials);
    rankings = Map.copyOf(rankings == null ? Map.of() : rankings);
  }

  /** Returns a copy with one more trial and the time spent so far. */
  SearchLog with(Trial t, double seconds) {
    List<Trial> all = new java.util.ArrayList<>(trials);
    all.add(t);
    return new SearchLog(
        formatVersion,
        version,
        fingerprint,
        request,
        fp32Top1,
        latency,
        seconds,
        all,
        rankings,
        winner,
        met,
        why);
  }

  /** Returns a copy with one more layer ranking. */
  SearchLog withRanking(String configKey, List<String> ranking, double seconds) {
    Map<String, List<String>> all = new java.util.TreeMap<>(rankings);
    all.put(configKey, List.copyOf(ranking));
    return new SearchLog(
        formatVersion,
        version,
        fingerprint,
        request,
        fp32Top1,
        latency,
        seconds,
        trials,
        all,
        winner,
        met,
        why);
  }

  /** Returns a copy with the verdict. */
  SearchLog withVerdict(int winnerIndex, boolean meets, String reason, double seconds) {
    return new SearchLog(
        formatVersion,
        version,
        fingerprint,
        request,
        fp32Top1,
        latency,
        seconds,
        trials,
        rankings,
        winnerIndex,
        meets,
        reason);
  }

  /** Returns this log in the current format: the trials' configurations need no change (see {@link #OLDEST_FORMAT_VERSION}). */
  private SearchLog upgraded() {
    return new SearchLog(
        FORMAT_VERSION,
        version,
        fingerprint,
        request,
        fp32Top1,
        latency,
        searchSeconds,
        trials,
        rankings,
        winner,
        met,
        why);
  }

  /** Writes the log atomically. */
  void write(Path file) throws EdgeoptException {
    try {
      AtomicFiles.write(file, JSON.writeValueAsBytes(this));
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot write the search log: " + e.getMessage(), e);
    }
  }

  /** Reads a log written by {@link #write}. */
  public static SearchLog read(Path file) throws EdgeoptException {
    try {
      SearchLog log = JSON.readValue(Files.readAllBytes(file), SearchLog.class);
      if (log.formatVersion() < OLDEST_FORMAT_VERSION || log.formatVersion() > FORMAT_VERSION) {
        throw EdgeoptException.invalid(
            file
                + ": expected search log format "
                + OLDEST_FORMAT_VERSION
                + " to "
                + FORMAT_VERSION
                + ", found "
                + log.formatVersion()
                + (log.formatVersion() > FORMAT_VERSION ? " (written by a newer edgeopt)" : ""));
      }
      return log.formatVersion() == FORMAT_VERSION ? log : log.upgraded();
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": not a search log: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
  }
}
