package org.edgeopt.planners.split;

import java.util.List;
import java.util.Map;

/**
 * The result of planning: every cut with its costs and checks, the best cut per link, and how the
 * best cut moves with bandwidth.
 *
 * @param model the model's name
 * @param modelSha256 SHA-256 of the model file (empty when planned from a graph)
 * @param request what was asked
 * @param enumeration how the cuts were found (every valid cut, or the topological-order fallback)
 * @param costs the costs of every cut, in cut order
 * @param checks what running every cut showed, in cut order
 * @param fp32Top1 the whole model's top-1 on the samples run
 * @param rangeSource where the int8 ranges came from
 * @param ranges the int8 parameters of the cut tensors, by tensor
 * @param edgeEstimate how edge times were obtained
 * @param serverEstimate how server times were obtained
 * @param sweep the best cut against bandwidth for the chosen encoding, over the admissible cuts
 * @param admissible for each cut, whether it may be chosen (verified, within the top-1 budget)
 * @param chosen the index of the best admissible cut on the request's link
 * @param bestPerLink for each link in bit/s and each encoding id, the best cut's index
 */
public record SplitPlan(
    String model,
    String modelSha256,
    SplitRequest request,
    CutEnumeration enumeration,
    List<CutCost> costs,
    List<CutCheck> checks,
    double fp32Top1,
    String rangeSource,
    Map<String, org.edgeopt.core.quant.QuantParams> ranges,
    String edgeEstimate,
    String serverEstimate,
    LinkSweep sweep,
    List<Boolean> admissible,
    int chosen,
    Map<Double, Map<String, Integer>> bestPerLink) {

  public SplitPlan {
    ranges = Map.copyOf(ranges);
  }

  /** Returns the chosen cut's costs. */
  public CutCost chosenCost() {
    return costs.get(chosen);
  }

  /** Returns whether cut {@code i}'s FP32 composition reproduced the whole model within the tolerance. */
  public boolean fp32Verified(int i) {
    return checks.get(i).fp32MaxAbsDiff() <= SplitRequest.FP32_TOLERANCE;
  }

  /** Returns the top-1 of cut {@code i} with int8 on the wire, or NaN without ranges. */
  public double int8Top1(int i) {
    CutCheck c = checks.get(i);
    return c.int8Correct() < 0 ? Double.NaN : c.int8Correct() / (double) c.samples();
  }

  /**
   * Returns this plan with cut {@code i} (its index in {@link #costs()}, the {@code #} column of
   * the table) chosen instead of the best one, for a deployment that
   * must cut at a given place (a layer the device's firmware ends with, say).
   *
   * @throws EdgeoptException exit 3 when there is no cut {@code i} or it is not admissible
   */
  public SplitPlan withChosen(int i) throws org.edgeopt.core.EdgeoptException {
    if (i < 0 || i >= costs.size()) {
      throw org.edgeopt.core.EdgeoptException.invalid(
          model + ": expected a cut number from 0 to " + (costs.size() - 1) + ", found " + i);
    }
    if (!admissible.get(i)) {
      throw org.edgeopt.core.EdgeoptException.invalid(
          model
              + ": cut #"
              + i
              + " ("
              + costs.get(i).cut().label()
              + ") is not admissible with "
              + request.encoding().id()
              + " on the wire (not verified or over the top-1 budget)");
    }
    return new SplitPlan(
        model,
        modelSha256,
        request,
        enumeration,
        costs,
        checks,
        fp32Top1,
        rangeSource,
        ranges,
        edgeEstimate,
        serverEstimate,
        sweep,
        admissible,
        i,
        bestPerLink);
  }
}
