package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;

/**
 * Chooses which eligible layers take the 2:4 pattern by measured sensitivity: each layer is
 * pruned alone and measured, then layers are added from the least sensitive up, each kept only
 * if the combined model stays within the budget; the most sensitive are skipped.
 */
final class TwoFourSearch {
  private TwoFourSearch() {}

  static PrunePlan run(
      Graph model,
      HoldoutEvaluator search,
      double budget,
      Map<String, Long> layerMacs,
      Map<String, LinearReconstruction.Regression> regressions,
      Consumer<String> log)
      throws EdgeoptException {
    List<LayerEligibility> elig = SemiStructuredPruner.eligibility(model);
    int n = search.samples();
    int base = search.correct(model);
    Map<String, Double> sensitivity = new HashMap<>();
    List<String> eligible = new ArrayList<>();
    for (LayerEligibility e : elig) {
      if (!e.eligible()) {
        continue;
      }
      eligible.add(e.layer());
      double drop =
          points(
              base
                  - search.correct(
                      SemiStructuredPruner.prune(model, List.of(e.layer()), regressions)),
              n);
      sensitivity.put(e.layer(), drop);
      log.accept(String.format(Locale.ROOT, "2:4 %s alone: drop %.2f points", e.layer(), drop));
    }
    eligible.sort(
        Comparator.comparingDouble((String l) -> sensitivity.get(l))
            .thenComparing(l -> -layerMacs.getOrDefault(l, 0L)));
    List<String> chosen = new ArrayList<>();
    Map<String, String> skipped = new HashMap<>();
    for (String l : eligible) {
      List<String> trial = new ArrayList<>(chosen);
      trial.add(l);
      double drop =
          points(base - search.correct(SemiStructuredPruner.prune(model, trial, regressions)), n);
      if (drop <= budget) {
        chosen.add(l);
        log.accept(String.format(Locale.ROOT, "2:4 + %s: drop %.2f points, kept", l, drop));
      } else {
        skipped.put(
            l,
            String.format(
                Locale.ROOT,
                "skipped: with it the drop would be %.2f points (budget %.2f)",
                drop,
                budget));
        log.accept(String.format(Locale.ROOT, "2:4 + %s: drop %.2f points, over budget", l, drop));
      }
    }
    return new PrunePlan() {
      @Override
      public int steps() {
        return chosen.size();
      }

      @Override
      public Graph build(int k) {
        return SemiStructuredPruner.prune(model, chosen.subList(0, k), regressions);
      }

      @Override
      public String method() {
        return regressions.isEmpty() ? "none" : "least-squares";
      }

      @Override
      public Map<String, Graph> alternatives(int k) {
        return regressions.isEmpty()
            ? Map.of()
            : Map.of("magnitude-only", SemiStructuredPruner.prune(model, chosen.subList(0, k)));
      }

      @Override
      public List<String> changedLayers(int k) {
        return List.copyOf(chosen.subList(0, k));
      }

      @Override
      public Map<String, int[]> keptChannels(int k) {
        return Map.of();
      }

      @Override
      public List<LayerDecision> decisions(int k) {
        List<String> in = chosen.subList(0, k);
        List<LayerDecision> out = new ArrayList<>();
        for (LayerEligibility e : elig) {
          long macs = layerMacs.getOrDefault(e.layer(), 0L);
          String detail;
          if (!e.eligible()) {
            detail = "not eligible: " + e.reason();
          } else if (in.contains(e.layer())) {
            detail = "2:4: " + e.reason();
          } else if (chosen.contains(e.layer())) {
            detail = "skipped: removed again to fit the budget on the whole holdout";
          } else {
            detail = skipped.getOrDefault(e.layer(), "skipped");
          }
          out.add(
              new LayerDecision(
                  e.layer(),
                  macs,
                  e.eligible(),
                  e.reason(),
                  sensitivity.get(e.layer()),
                  in.contains(e.layer()),
                  detail));
        }
        return out;
      }
    };
  }

  static double points(int lostSamples, int samples) {
    return 100.0 * lostSamples / samples;
  }
}
