package org.edgeopt.prune;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Node;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.onnx.OnnxChecker;

/**
 * Target-aware pruning within an accuracy budget: asks the {@link SparsityPlanner} which mode
 * the target gets, searches by measured sensitivity on the holdout, tries bias correction and
 * BatchNormalization re-estimation on calibration data (keeping them only when they measurably
 * help), checks the result on the whole holdout, and reports cost, accuracy and latency.
 */
public final class Pruner {
  private Pruner() {}

  /**
   * Prunes {@code model} for {@code request}; {@code where} names the model in errors and
   * {@code log} hears progress, one line per measurement.
   *
   * @throws EdgeoptException exit 5 when 2:4 is refused for the target, exit 3 for a model or
   *     data that cannot be used
   */
  public static PruneResult prune(
      Graph model, PruneRequest request, String where, Consumer<String> log)
      throws EdgeoptException {
    PruneMode mode = SparsityPlanner.plan(request.profile(), request.mode(), request.force());
    request = inMemory(request);
    int searchLimit = request.searchLimit() > 0 ? request.searchLimit() : Integer.MAX_VALUE;
    int calibrationLimit =
        request.calibrationLimit() > 0 ? request.calibrationLimit() : Integer.MAX_VALUE;
    HoldoutEvaluator search =
        new HoldoutEvaluator(request.holdout(), request.batchSize(), searchLimit);
    HoldoutEvaluator full =
        new HoldoutEvaluator(request.holdout(), request.batchSize(), Integer.MAX_VALUE);
    ModelCost before = ModelCost.of(model, where);
    List<String> messages = new ArrayList<>();
    if (mode == PruneMode.TWO_FOUR && !request.profile().exploits24Sparsity()) {
      messages.add(
          "forced: "
              + request.profile().name()
              + " does not exploit 2:4 sparsity ("
              + request.profile().sparsityReason()
              + "), so this costs accuracy for no speed-up");
    }
    PrunePlan plan =
        mode == PruneMode.TWO_FOUR
            ? twoFourPlan(model, request, search, before, calibrationLimit, where, log)
            : channelPlan(model, request, search, before, calibrationLimit, where, log, messages);

    double baseline = full.top1(model);
    int k =
        stepsWithinBudgetOnWholeHoldout(
            plan, baseline, full, search, request.budgetPoints(), log, messages);
    Choice choice = choose(model, plan, k, request, search, full, calibrationLimit, where);
    choice =
        plainIfRecoveryLosesOnWholeHoldout(choice, plan, k, baseline, full, request.budgetPoints());
    if (plan.steps() == 0) {
      messages.add("nothing could be pruned within the budget");
    }
    Graph result = stamp(choice.graph, mode, request, baseline, choice.top1, plan.changedLayers(k));
    OnnxChecker.check(result, where + " (pruned)");

    ModelCost after = ModelCost.of(result, where);
    long effective = after.macs();
    if (mode == PruneMode.TWO_FOUR) {
      // 2:4 sparse kernels skip half the multiply-accumulates of each sparse layer.
      for (String l : plan.changedLayers(k)) {
        effective -= after.layerMacs().getOrDefault(l, 0L) / 2;
      }
    }
    LatencyComparison latency =
        request.measureLatency()
            ? LatencyComparison.measure(model, result, firstSample(model, request), 20, 200)
            : null;
    PruneReport report =
        new PruneReport(
            request.profile().name(),
            request.mode().id(),
            mode.id(),
            request.profile().sparsityReason(),
            request.budgetPoints(),
            full.samples(),
            search.samples(),
            baseline,
            choice.top1,
            before.macs(),
            after.macs(),
            effective,
            before.parameters(),
            after.parameters(),
            after.nonZeroParameters(),
            plan.decisions(k),
            choice.trials,
            latency,
            messages);
    return new PruneResult(result, report);
  }

  /** Returns the request with its data sets read into memory once, as every candidate reads them again. */
  private static PruneRequest inMemory(PruneRequest request) throws EdgeoptException {
    return new PruneRequest(
        request.profile(),
        request.mode(),
        request.budgetPoints(),
        request.force(),
        InMemoryDataset.of(request.holdout()),
        request.calibration() == null ? null : InMemoryDataset.of(request.calibration()),
        request.batchSize(),
        request.searchLimit(),
        request.calibrationLimit(),
        request.measureLatency());
  }

  /** Searches 2:4 sparsity, refitting each pruned layer by least squares where calibration data allows. */
  private static PrunePlan twoFourPlan(
      Graph model,
      PruneRequest request,
      HoldoutEvaluator search,
      ModelCost before,
      int calibrationLimit,
      String where,
      Consumer<String> log)
      throws EdgeoptException {
    Map<String, LinearReconstruction.Regression> regressions = Map.of();
    if (request.calibration() != null) {
      List<Node> fit = new ArrayList<>();
      for (LayerEligibility e : SemiStructuredPruner.eligibility(model)) {
        Node n = model.node(e.layer()).orElseThrow();
        if (e.eligible() && LinearReconstruction.fits(n, model)) {
          fit.add(n);
        }
      }
      regressions =
          LinearReconstruction.collect(
              model, fit, request.calibration(), request.batchSize(), calibrationLimit, where);
    }
    return TwoFourSearch.run(
        model, search, request.budgetPoints(), before.layerMacs(), regressions, log);
  }

  /**
   * Searches channel pruning, compensating removed channels with the calibration data's
   * least-squares refit and means when there is calibration data.
   */
  private static PrunePlan channelPlan(
      Graph model,
      PruneRequest request,
      HoldoutEvaluator search,
      ModelCost before,
      int calibrationLimit,
      String where,
      Consumer<String> log,
      List<String> messages)
      throws EdgeoptException {
    ChannelGroups a = ChannelGroups.analyse(model, where);
    Map<String, float[]> means = new LinkedHashMap<>();
    Map<String, LinearReconstruction.Regression> regressions = Map.of();
    if (request.calibration() != null) {
      regressions =
          LinearReconstruction.collect(
              a, request.calibration(), request.batchSize(), calibrationLimit, where);
      List<String> read = new ArrayList<>();
      a.sinks.forEach(s -> read.add(s.tensor()));
      ActivationStatistics.of(
              model, read, request.calibration(), request.batchSize(), calibrationLimit, where)
          .forEach((t, s) -> means.put(t, s.mean()));
    } else {
      messages.add(
          "no calibration data: removed channels are not replaced by their means, and no recovery is tried");
    }
    return ChannelSearch.run(
        model,
        a,
        search,
        request.budgetPoints(),
        new ChannelSearch.Compensation(means, regressions),
        before.layerMacs(),
        log);
  }

  /**
   * Returns how many of the plan's steps stay within the budget on the whole holdout: all of them,
   * unless the search samples were kinder than the whole holdout; then the most that fit, found
   * by bisection (accuracy falls as steps are added).
   */
  private static int stepsWithinBudgetOnWholeHoldout(
      PrunePlan plan,
      double baseline,
      HoldoutEvaluator full,
      HoldoutEvaluator search,
      double budget,
      Consumer<String> log,
      List<String> messages)
      throws EdgeoptException {
    int k = plan.steps();
    if (search.samples() >= full.samples()
        || k == 0
        || baseline - full.top1(plan.build(k)) <= budget) {
      return k;
    }
    int lo = 0;
    int hi = k;
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      double drop = baseline - full.top1(plan.build(mid));
      log.accept(
          String.format(
              Locale.ROOT, "whole holdout with %d of %d steps: drop %.2f points", mid, k, drop));
      if (drop <= budget) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    messages.add(
        String.format(
            Locale.ROOT,
            "the whole holdout is harsher than the %d search samples: kept %d of %d" + " steps",
            search.samples(),
            lo,
            plan.steps()));
    return lo;
  }

  /**
   * Returns the plan's own variant instead of a recovery variant that won on the search samples
   * but breaks the budget on the whole holdout, when the plain one scores better there.
   */
  private static Choice plainIfRecoveryLosesOnWholeHoldout(
      Choice choice, PrunePlan plan, int k, double baseline, HoldoutEvaluator full, double budget)
      throws EdgeoptException {
    boolean recovered =
        choice.trials.stream().anyMatch(t -> t.applied() && !t.method().equals(plan.method()));
    if (baseline - choice.top1 <= budget || !recovered) {
      return choice;
    }
    Graph plain = plan.build(k);
    double t = full.top1(plain);
    if (t <= choice.top1) {
      return choice;
    }
    return new Choice(
        plain,
        choice.trials.stream()
            .map(x -> new RecoveryTrial(x.method(), x.top1(), x.method().equals(plan.method())))
            .toList(),
        t);
  }

  /** Returns the pruned model with what was done in its metadata and no stale value types. */
  private static Graph stamp(
      Graph result,
      PruneMode mode,
      PruneRequest request,
      double baseline,
      double top1,
      List<String> sparseLayers) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("edgeopt.prune.mode", mode.id());
    meta.put("edgeopt.prune.target", request.profile().name());
    meta.put("edgeopt.prune.budget-points", Double.toString(request.budgetPoints()));
    meta.put("edgeopt.prune.top1", String.format(Locale.ROOT, "%.4f -> %.4f", baseline, top1));
    if (mode == PruneMode.TWO_FOUR) {
      meta.put("edgeopt.sparsity", "2:4");
      meta.put("edgeopt.sparsity.layers", String.join(",", sparseLayers));
    }
    meta.put("edgeopt.prune.producer", "edgeopt-prune " + Version.get());
    return result.toBuilder().clearValueInfo().info(result.info().withMetadata(meta)).build();
  }

  /**
   * The variant chosen for a number of steps, with every variant's accuracy on the search samples
   * and the chosen one's top-1 on the whole holdout.
   */
  private record Choice(Graph graph, List<RecoveryTrial> trials, double top1) {}

  /**
   * Returns the variant with the most correct search samples for {@code k} steps, the plan's own
   * unless another measurably helps, scored on the whole holdout.
   */
  private static Choice choose(
      Graph model,
      PrunePlan plan,
      int k,
      PruneRequest request,
      HoldoutEvaluator search,
      HoldoutEvaluator full,
      int calibrationLimit,
      String where)
      throws EdgeoptException {
    Graph pruned = plan.build(k);
    if (request.calibration() == null || k == 0) {
      return new Choice(pruned, List.of(), full.top1(pruned));
    }
    Map<String, Graph> variants = new LinkedHashMap<>(plan.alternatives(k));
    variants.put(plan.method(), pruned);
    variants.put(
        "bias-correction",
        Recovery.biasCorrection(
            model,
            pruned,
            plan.changedLayers(k),
            plan.keptChannels(k),
            request.calibration(),
            request.batchSize(),
            calibrationLimit,
            where));
    if (Recovery.hasBatchNorm(pruned)) {
      variants.put(
          "batchnorm-reestimation",
          Recovery.reestimateBatchNorm(
              pruned, request.calibration(), request.batchSize(), calibrationLimit, where));
    }
    Map<String, Integer> correct = new LinkedHashMap<>();
    for (Map.Entry<String, Graph> e : variants.entrySet()) {
      correct.put(e.getKey(), search.correct(e.getValue()));
    }
    // another variant replaces the search's own only when it measurably helps: at least one more
    // correct sample
    String best = plan.method();
    for (String m : correct.keySet()) {
      if (correct.get(m) > correct.get(best)) {
        best = m;
      }
    }
    List<RecoveryTrial> trials = new ArrayList<>();
    for (Map.Entry<String, Integer> e : correct.entrySet()) {
      trials.add(
          new RecoveryTrial(
              e.getKey(), 100.0 * e.getValue() / search.samples(), e.getKey().equals(best)));
    }
    return new Choice(variants.get(best), trials, full.top1(variants.get(best)));
  }

  private static Tensor firstSample(Graph model, PruneRequest request) throws EdgeoptException {
    Iterator<Batch> it = request.holdout().batches(1, 1);
    if (!it.hasNext()) {
      throw EdgeoptException.invalid(request.holdout().describe() + ": the holdout set is empty");
    }
    return it.next().input().withName(model.inputs().get(0).name());
  }
}
