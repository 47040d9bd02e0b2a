package org.edgeopt.planners.split;

import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfile;

/**
 * What to plan a split for.
 *
 * @param edge the device's profile
 * @param server the server's profile
 * @param link the link the plan is chosen for
 * @param encoding how the cut tensors are sent in the chosen plan
 * @param holdout samples to verify the parts on and to measure int8 accuracy and compressed sizes
 * @param limit how many holdout samples to use
 * @param calibration the calibration table of the model (int8 ranges at the cut), or null
 * @param calibrationData data to observe int8 ranges on when there is no table, or null
 * @param maxTop1DropPoints with int8 on the wire, the largest top-1 loss allowed at the cut, in
 *     percentage points, or NaN for no limit
 * @param compressSamples how many samples the zstd sizes are measured on
 * @param batchSize the batch size for running the parts
 * @param hostRuns timed batch-1 runs of each part on this host, used instead of the roofline for
 *     a side whose profile describes this host ({@link org.edgeopt.planners.HostLatency}); 0 for modelled only
 */
public record SplitRequest(
    TargetProfile edge,
    TargetProfile server,
    Link link,
    Encoding encoding,
    Dataset holdout,
    int limit,
    CalibrationTable calibration,
    Dataset calibrationData,
    double maxTop1DropPoints,
    int compressSamples,
    int batchSize,
    int hostRuns) {

  /** The absolute tolerance of the FP32 composition against the whole model. */
  public static final double FP32_TOLERANCE = 1e-5;

  /** The least top-1 agreement with the whole model an int8 cut must reach to be verified. */
  public static final double INT8_MIN_AGREEMENT = 0.995;

  /** The links every plan is also shown for, in bit/s. */
  public static final double[] STANDARD_LINKS = {1e6, 10e6, 100e6};
}
