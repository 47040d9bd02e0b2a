package org.edgeopt.validate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.edgeopt.core.EdgeoptException;

/**
 * The accuracy gate: compares each threshold with its measured figure and returns PASS only when
 * every one is met. A threshold whose figure does not exist for this model (agreement for a
 * regression output) is an error, not a silent pass.
 */
public final class Gate {
  private Gate() {}

  /**
   * Evaluates the thresholds.
   *
   * @param t the thresholds
   * @param classification classification figures, or null for a regression output
   * @param outputs the output comparison
   * @param latency latency figures, or null when latency was not measured
   * @return the verdict with one check per threshold given
   * @throws EdgeoptException if no threshold applies, or one needs a figure that was not measured
   */
  public static ValidationReport.GateResult evaluate(
      Thresholds t,
      ValidationReport.Classification classification,
      ValidationReport.OutputComparison outputs,
      ValidationReport.Latency latency)
      throws EdgeoptException {
    List<ValidationReport.GateCheck> checks = new ArrayList<>();
    if (classification != null && t.maxTop1DropPoints() != null) {
      checks.add(
          atMost(
              "top1-drop",
              "top-1 accuracy drop (reference minus candidate)",
              classification.top1DropPoints(),
              t.maxTop1DropPoints(),
              "points",
              "%.2f"));
    }
    if (t.minAgreementPercent() != null) {
      if (classification == null) {
        throw EdgeoptException.invalid(
            "min agreement "
                + t.minAgreementPercent()
                + "% applies to classifiers, but the model's output is compared as a regression output: "
                + "expected a max output error instead");
      }
      checks.add(
          atLeast(
              "agreement",
              "share of samples with the same top-1 prediction",
              classification.agreementPercent(),
              t.minAgreementPercent(),
              "%",
              "%.2f"));
    }
    if (t.maxP95LatencyMs() != null) {
      if (latency == null) {
        throw EdgeoptException.invalid(
            "max p95 latency "
                + t.maxP95LatencyMs()
                + " ms needs latency runs, but 0 were asked for: expected at least 1");
      }
      checks.add(
          atMost(
              "p95-latency",
              "candidate batch-1 latency, 95th percentile",
              latency.candidate().p95Ms(),
              t.maxP95LatencyMs(),
              "ms",
              "%.3f"));
    }
    if (t.maxOutputError() != null) {
      checks.add(
          atMost(
              "output-error",
              "largest absolute difference of any output value",
              outputs.maxAbsError(),
              t.maxOutputError(),
              "",
              "%s"));
    }
    if (checks.isEmpty()) {
      throw EdgeoptException.invalid(
          classification == null
              ? "no threshold applies to a regression output: expected a max output error (the tolerance on |candidate - reference|)"
              : "no threshold was given: expected at least one of max top-1 drop, min agreement, max p95 latency");
    }
    List<String> reasons =
        checks.stream().filter(c -> !c.passed()).map(ValidationReport.GateCheck::message).toList();
    return new ValidationReport.GateResult(
        reasons.isEmpty() ? ValidationReport.Verdict.PASS : ValidationReport.Verdict.FAIL,
        checks,
        reasons);
  }

  /**
   * Returns the verdict with one more failed check for a candidate whose outputs were NaN or
   * infinite: no threshold can pass such a model, whatever its other figures say.
   *
   * @param result the verdict of the thresholds
   * @param values how many output values were not finite
   * @param first where the first one was, e.g. {@code candidate output 'y' is NaN at value 2 of sample 7}
   */
  public static ValidationReport.GateResult withNonFiniteOutputs(
      ValidationReport.GateResult result, long values, String first) {
    String msg =
        first
            + " ("
            + values
            + (values == 1 ? " value" : " values")
            + " not finite): expected finite outputs on every holdout sample";
    List<ValidationReport.GateCheck> checks = new ArrayList<>();
    checks.add(
        new ValidationReport.GateCheck(
            "finite-outputs",
            "candidate output values that are NaN or infinite",
            0,
            values,
            "",
            false,
            msg));
    checks.addAll(result.checks());
    List<String> reasons = new ArrayList<>();
    reasons.add(msg);
    reasons.addAll(result.reasons());
    return new ValidationReport.GateResult(ValidationReport.Verdict.FAIL, checks, reasons);
  }

  private static ValidationReport.GateCheck atMost(
      String name, String what, double actual, double limit, String unit, String fmt) {
    boolean ok = actual <= limit;
    String u = unit.isEmpty() ? "" : " " + unit;
    // "%s" takes six significant digits without trailing zeros: output errors span many magnitudes.
    Object a = fmt.equals("%s") ? plain(actual) : actual;
    Object l = fmt.equals("%s") ? plain(limit) : limit;
    String msg =
        String.format(
            Locale.ROOT,
            "%s " + fmt + "%s %s max " + fmt + "%s",
            label(name),
            a,
            u,
            ok ? "<=" : ">",
            l,
            u);
    return new ValidationReport.GateCheck(name, what, limit, actual, unit, ok, msg);
  }

  private static ValidationReport.GateCheck atLeast(
      String name, String what, double actual, double limit, String unit, String fmt) {
    boolean ok = actual >= limit;
    String msg =
        String.format(
            Locale.ROOT,
            "%s " + fmt + "%s %s min " + fmt + "%s",
            label(name),
            actual,
            unit,
            ok ? ">=" : "<",
            limit,
            unit);
    return new ValidationReport.GateCheck(name, what, limit, actual, unit, ok, msg);
  }

  private static String plain(double v) {
    return new java.math.BigDecimal(v, new java.math.MathContext(6))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static String label(String name) {
    return switch (name) {
      case "top1-drop" -> "top-1 drop";
      case "agreement" -> "agreement";
      case "p95-latency" -> "p95 latency";
      case "finite-outputs" -> "finite outputs";
      default -> "max output error";
    };
  }
}
