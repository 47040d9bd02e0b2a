package org.edgeopt.prune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.edgeopt.core.io.AtomicFiles;

/**
 * What a pruning run did and measured: the mode the target got, every layer's decision, top-1
 * accuracy before and after on the holdout, MACs and parameters before and after, the recovery
 * variants tried, and the ONNX Runtime latency of both models.
 *
 * @param target the target profile
 * @param requestedMode the mode asked for
 * @param mode the mode run
 * @param modeReason why this mode (the profile's sparsity reason)
 * @param budgetPoints the allowed top-1 drop, in points
 * @param holdoutSamples the holdout samples the result was checked on
 * @param searchSamples the holdout samples candidates were compared on
 * @param baselineTop1 top-1 of the original model on the holdout, percent
 * @param prunedTop1 top-1 of the pruned model on the holdout, percent
 * @param macsBefore dense MACs per sample before
 * @param macsAfter dense MACs per sample after
 * @param effectiveMacsAfter MACs after on hardware that skips 2:4 zeros (half of each 2:4 layer)
 * @param parametersBefore parameters before
 * @param parametersAfter parameters after
 * @param nonZeroParametersAfter non-zero parameters after
 * @param layers the decision for every layer or channel group
 * @param recovery the recovery variants measured
 * @param latency ONNX Runtime latency before and after, or null when not measured
 * @param messages other findings, one line each
 */
public record PruneReport(
    String target,
    String requestedMode,
    String mode,
    String modeReason,
    double budgetPoints,
    int holdoutSamples,
    int searchSamples,
    double baselineTop1,
    double prunedTop1,
    long macsBefore,
    long macsAfter,
    long effectiveMacsAfter,
    long parametersBefore,
    long parametersAfter,
    long nonZeroParametersAfter,
    List<LayerDecision> layers,
    List<RecoveryTrial> recovery,
    LatencyComparison latency,
    List<String> messages) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public PruneReport {
    layers = List.copyOf(layers);
    recovery = List.copyOf(recovery);
    messages = List.copyOf(messages);
  }

  /** Returns the top-1 drop in percentage points (negative when accuracy rose). */
  public double dropPoints() {
    return baselineTop1 - prunedTop1;
  }

  /** Returns whether the drop is within the budget. */
  public boolean withinBudget() {
    return dropPoints() <= budgetPoints + 1e-9;
  }

  /** Returns the fraction of dense MACs removed. */
  public double macReduction() {
    return macsBefore == 0 ? 0 : 1.0 - (double) macsAfter / macsBefore;
  }

  /** Returns the report as indented JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("prune report does not serialize", e);
    }
  }

  /** Writes the report as JSON, atomically. */
  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, toJson());
  }

  /** Returns a human-readable summary, one fact per line. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "mode %s for %s (%s)%n", mode, target, modeReason));
    s.append(
        String.format(
            Locale.ROOT,
            "top-1 %.2f%% -> %.2f%% (drop %.2f points, budget %.2f) on %d holdout samples%n",
            baselineTop1,
            prunedTop1,
            dropPoints(),
            budgetPoints,
            holdoutSamples));
    s.append(
        String.format(
            Locale.ROOT,
            "MACs %,d -> %,d (%.1f%% fewer)",
            macsBefore,
            macsAfter,
            100 * macReduction()));
    if (effectiveMacsAfter != macsAfter) {
      s.append(String.format(Locale.ROOT, "; %,d on 2:4 sparse hardware", effectiveMacsAfter));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "%nparameters %,d -> %,d (%,d non-zero)%n",
            parametersBefore,
            parametersAfter,
            nonZeroParametersAfter));
    if (latency != null) {
      s.append(
          String.format(
              Locale.ROOT,
              "ONNX Runtime latency (1 thread, batch 1, %d runs each, side by side):"
                  + " median %.3f ms -> %.3f ms (ratio %.2f)%n",
              latency.iterations(),
              latency.beforeMedianMs(),
              latency.afterMedianMs(),
              latency.ratio()));
    }
    for (RecoveryTrial t : recovery) {
      s.append(
          String.format(
              Locale.ROOT,
              "recovery %-24s top-1 %.2f%%%s%n",
              t.method(),
              t.top1(),
              t.applied() ? "  (applied)" : ""));
    }
    for (LayerDecision d : layers) {
      s.append(
          String.format(
              Locale.ROOT,
              "  %-7s %-48s %s%s%n",
              d.pruned() ? "pruned" : d.eligible() ? "kept" : "n/a",
              d.name(),
              d.detail(),
              d.sensitivityPoints() == null
                  ? ""
                  : String.format(
                      Locale.ROOT, " (alone: drop %.2f points)", d.sensitivityPoints())));
    }
    messages.forEach(m -> s.append(m).append(System.lineSeparator()));
    return s.toString();
  }
}
