package org.edgeopt.optimize;

/**
 * One measured candidate: its configuration and what it scored.
 *
 * @param index the trial number, from 0, in the order the search ran them
 * @param phase {@code plain}, {@code fallback} or {@code evolve}: which part of the search proposed it
 * @param config how the candidate was made
 * @param top1 the candidate's top-1 accuracy on the holdout, percent
 * @param top1Drop FP32 top-1 minus the candidate's, percentage points
 * @param agreement share of holdout samples where candidate and FP32 predict the same class, percent
 * @param speedup FP32 batch-1 latency over the candidate's: measured when {@code latencyMeasured},
 *     else {@code modelledSpeedup}
 * @param latencyMs the candidate's measured batch-1 p50 latency in ms, or 0 when modelled
 * @param latencyMeasured whether {@code speedup} was measured on this host (interleaved with FP32)
 * @param modelledSpeedup the cost model's speed-up (roofline over {@code LayerCosts}), always
 *     computed: the search steers by it so the same seed gives the same trials on any host
 * @param sizeBytes the candidate model file's size
 * @param macs the candidate's multiply-accumulates at batch 1
 * @param seconds wall time the trial took (quantize, validate, time)
 * @param meetsBar whether the candidate meets the accuracy bar
 */
public record Trial(
    int index,
    String phase,
    TrialConfig config,
    double top1,
    double top1Drop,
    double agreement,
    double speedup,
    double latencyMs,
    boolean latencyMeasured,
    double modelledSpeedup,
    long sizeBytes,
    long macs,
    double seconds,
    boolean meetsBar) {

  /**
   * Returns the trial's cost under an objective: smaller is better. With {@code measured} false
   * the modelled speed-up stands in for latency, so the figure is the same on every host.
   */
  public double cost(Objective objective, boolean measured) {
    return switch (objective) {
      case LATENCY -> 1.0 / Math.max(1e-9, measured ? speedup : modelledSpeedup);
      case SIZE -> sizeBytes;
      case MACS -> macs;
    };
  }
}
