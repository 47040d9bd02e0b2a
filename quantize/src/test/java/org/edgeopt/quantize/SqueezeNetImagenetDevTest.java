package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.Test;

/**
 * SqueezeNet INT8 judged on real photos (issue 15): calibrated with minmax on 100 imagenet-dev
 * photos, evaluated on the other 400, in ONNX Runtime's exact integer mode, so every host computes
 * the integers the target computes.
 *
 * <p>The bounds are the top-1 goal (drop at most 0.5 points) and, for agreement with
 * FP32, the level measured when this test was written less three photos (0.75 points): float
 * kernels differ between CPUs, and a photo whose FP32 top two classes nearly tie may flip on
 * another host. Measured (docs/benchmarks.md): {@code onnxruntime-cpu} 94.25% agreement, top-1
 * drop -0.25; {@code onnxruntime-x86-vnni} (8-bit weights) 96.75%, drop 0.50. The 97.5% agreement
 * is not asserted: the quantizer's activation rounding alone, every weight FP32, gives 96.50% on
 * this split (docs/benchmarks.md, "The ceiling").
 */
class SqueezeNetImagenetDevTest {
  @Test
  void int8KeepsTopOneWithinHalfAPointOnFourHundredPhotos() throws Exception {
    ImagenetDev.Split split = ImagenetDev.squeezeNetSplit().orElse(null);
    assumeTrue(split != null, SqueezeNetFixtures.missingReason() + " / imagenet-dev");
    Graph fp32 = SqueezeNetFixtures.fp32();
    ImagenetDev.Photos eval = split.evaluation();
    int[] fp = ImagenetDev.predict(fp32, eval);
    CalibrationTable table =
        Calibration.calibrate(
            fp32,
            split.calibration(),
            CalibrationConfig.forTarget(TargetProfiles.get(QuantizeConfig.DEFAULT_TARGET))
                .withSamples(split.calibration().size()));

    ImagenetDev.Scores portable = scores(fp32, table, QuantizeConfig.DEFAULT_TARGET, split, fp);
    assertTrue(portable.drop() <= 0.5, "top-1 drop over 0.5 points: " + portable);
    assertTrue(portable.agreement() >= 93.5, "agreement with FP32 below 93.5%: " + portable);

    // The same table: the two profiles calibrate alike and differ only in the weights' range.
    ImagenetDev.Scores vnni = scores(fp32, table, "onnxruntime-x86-vnni", split, fp);
    // Measured 0.50: one more lost photo on another host's float kernels is within the bound.
    assertTrue(vnni.drop() <= 1.0, "top-1 drop over 1 point: " + vnni);
    assertTrue(vnni.agreement() >= 96.0, "agreement with FP32 below 96%: " + vnni);
  }

  private static ImagenetDev.Scores scores(
      Graph fp32, CalibrationTable table, String target, ImagenetDev.Split split, int[] fp)
      throws Exception {
    QuantizeConfig config = QuantizeConfig.forTarget(TargetProfiles.get(target));
    Graph q =
        ModelQuantizer.quantize(
                fp32,
                table,
                config,
                split.calibration(),
                new ModelQuantizer.Provenance("test", null, "imagenet-dev", null))
            .graph();
    ImagenetDev.Scores s =
        ImagenetDev.Scores.of(
            fp, ImagenetDev.predict(q, split.evaluation()), split.evaluation().labels());
    System.out.printf(
        Locale.ROOT,
        "SqueezeNet %s, imagenet-dev 100/400, exact INT8: FP32 %.2f%%, INT8 %.2f%%, drop %.2f,"
            + " agreement %.2f%%%n",
        target,
        s.fp32Top1(),
        s.int8Top1(),
        s.drop(),
        s.agreement());
    return s;
  }
}
