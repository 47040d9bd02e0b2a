package org.edgeopt.calibrate;

import java.io.IOException;
import java.nio.file.Path;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.testing.TestModels;

/**
 * Makes the golden {@code calibration.json} files that {@link GoldenCalibrationTest} checks: the
 * small generated CNN on 64 seeded inputs in batches of 8, one file per method, named by the
 * format version. Not a test; rerun it when the format or a calibrator changes on purpose:
 *
 * <pre>
 * mvn -B -q -pl calibrate test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.edgeopt.calibrate.GoldenCalibrationFiles -Dexec.args=calibrate/src/test/resources
 * </pre>
 */
public final class GoldenCalibrationFiles {
  /** The classpath folder of the golden files. */
  static final String FOLDER = "org/edgeopt/calibrate/golden/";

  private GoldenCalibrationFiles() {}

  /** Returns the file name of the golden table of a method. */
  static String fileName(CalibrationMethod m) {
    return "small-cnn." + m.id() + ".calibration-v" + CalibrationTable.FORMAT_VERSION + ".json";
  }

  /** Returns the table the golden file of {@code m} holds, computed now. */
  static CalibrationTable compute(CalibrationMethod m) throws EdgeoptException {
    return Calibration.calibrate(
        TestModels.smallCnn(13),
        TensorDataset.smallCnn(7, 64),
        CalibrationConfig.of(m).withBatchSize(8));
  }

  /** Writes every golden file under the resource root given as the only argument. */
  public static void main(String[] args) throws IOException, EdgeoptException {
    Path root = Path.of(args.length > 0 ? args[0] : "calibrate/src/test/resources");
    for (CalibrationMethod m : CalibrationMethod.values()) {
      Path file = root.resolve(FOLDER + fileName(m));
      compute(m).write(file);
      System.out.println("wrote " + file);
    }
  }
}
