package org.edgeopt.validate;

import java.util.List;

/**
 * The view model of {@code report.mustache}: every figure of the HTML page already worded and
 * formatted, so the template only places text. A {@code null} component leaves its section out;
 * fields named {@code *Chart} or {@code chart} hold ready-made SVG.
 *
 * @param title the browser tab's title
 * @param verdict PASS or FAIL
 * @param verdictTone the header's class: pass or fail
 * @param candidateFile the candidate's file name
 * @param referenceFile the reference's file name
 * @param subtitle samples, task, version and time under the heading
 * @param passReason the line under a PASS; null on a FAIL
 * @param failed whether the gate failed
 * @param failReasons each missed threshold, worded
 * @param mismatch the host/target mismatch warning; null when none
 * @param cards the headline figures
 * @param checks the gate's thresholds
 * @param accuracy the accuracy table's rows
 * @param classes the per-class table; null for tasks other than classification
 * @param skippedNote why the layer diagnosis did not run; null when it ran
 * @param layers the layer diagnosis; null when it did not run
 * @param confidence the confidence section; null when not measured
 * @param latency the latency section; null when not measured
 * @param figures which figures the report holds (native or emulated arithmetic)
 * @param explanation why those figures
 * @param arithmeticRows the host and target arithmetic table
 * @param provenanceRows the provenance table
 * @param configuration the configuration, one "key: value" line each
 */
record ReportPage(
    String title,
    String verdict,
    String verdictTone,
    String candidateFile,
    String referenceFile,
    String subtitle,
    String passReason,
    boolean failed,
    List<String> failReasons,
    String mismatch,
    List<Card> cards,
    List<Check> checks,
    List<FigureRow> accuracy,
    Classes classes,
    String skippedNote,
    Layers layers,
    NoteAndChart confidence,
    Latency latency,
    String figures,
    String explanation,
    List<KeyValue> arithmeticRows,
    List<KeyValue> provenanceRows,
    String configuration) {

  /** A headline figure: the candidate's value large, a note below; tone is bad, good or empty. */
  record Card(String title, String value, String note, String tone) {}

  /** One gate threshold; resultTone is ok or bad. */
  record Check(
      String description, String measured, String limit, String resultTone, String result) {}

  /** One row of the accuracy table. */
  record FigureRow(String figure, String reference, String candidate, String change) {}

  /** The per-class table, with a note when only the worst classes are shown (else null). */
  record Classes(String truncation, List<ClassRow> rows) {}

  /** One class; dropTone is bad or empty, trend loss or gain, barPercent the spark bar's width. */
  record ClassRow(
      String name,
      int samples,
      String reference,
      String candidate,
      String dropTone,
      String drop,
      String trend,
      String barPercent) {}

  /** The layer diagnosis: advice, charts (barsChart null when no layer runs in reduced precision), table. */
  record Layers(
      String advice,
      String note,
      String barsChart,
      String accumulationChart,
      int count,
      List<LayerRow> rows) {}

  /** One matched layer; color marks its added SQNR's severity. */
  record LayerRow(
      boolean reducedPrecision,
      int rank,
      String node,
      String opType,
      String referenceTensor,
      String matchedBy,
      String color,
      String added,
      String sqnr,
      String inputSqnr,
      String cosine,
      String maxAbsError) {}

  /** A section's explanatory note and its chart. */
  record NoteAndChart(String note, String chart) {}

  /** The latency section; int8Speed and pipeline are null when absent. */
  record Latency(
      String note, List<LatencyRow> rows, String chart, String int8Speed, NoteAndChart pipeline) {}

  /** One model's latency figures. */
  record LatencyRow(
      String model,
      String runtime,
      String p50,
      String p95,
      String p99,
      String mean,
      String throughput) {}

  /** One row of a two-column table. */
  record KeyValue(String key, String value) {}
}
