package org.edgeopt.spark;

import java.io.IOException;
import java.nio.file.Path;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.calibrate.CalibrationMethod;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.quantize.QdqQuantizer;
import org.edgeopt.quantize.QuantizeConfig;
import org.edgeopt.samples.SampleModel;

/** Real candidates for validation tests, made with edgeopt's own stages. */
final class TestCandidates {
  private TestCandidates() {}

  /** Writes an INT8 QDQ model of {@code sample} (min-max on 64 calibration samples) into {@code dir}. */
  static Path int8(SampleModel sample, Path dir) throws EdgeoptException, IOException {
    CalibrationTable table =
        Calibration.calibrate(
            sample.model(),
            sample.calibration().images().getParent(),
            Preprocessing.parse(sample.preprocess()),
            CalibrationConfig.of(CalibrationMethod.MINMAX).withSamples(64),
            CalibrationProgress.NONE);
    Path candidate =
        dir.resolve(sample.model().getFileName().toString().replace(".onnx", "") + ".int8.onnx");
    OnnxModels.write(
        QdqQuantizer.quantize(
                OnnxModels.read(sample.model()), table, QuantizeConfig.defaults(), "model", "table")
            .graph(),
        candidate);
    return candidate;
  }
}
