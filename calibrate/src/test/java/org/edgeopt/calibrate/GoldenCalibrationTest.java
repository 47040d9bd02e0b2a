package org.edgeopt.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.quant.TensorRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Checks today's {@code calibration.json} for the small CNN against the golden files made by
 * {@link GoldenCalibrationFiles}. Hashes, counts, methods and provenance must match exactly
 * (except the tool and runtime versions); observed ranges within 1e-5 relative, for CPUs whose
 * kernels round differently; histogram-chosen ends within one histogram bin, as a value that
 * moves across a bin edge by such rounding can move a threshold by one bin.
 */
class GoldenCalibrationTest {

  @ParameterizedTest
  @EnumSource(CalibrationMethod.class)
  void tableMatchesTheGoldenFile(CalibrationMethod m) throws EdgeoptException, URISyntaxException {
    URL url =
        getClass()
            .getClassLoader()
            .getResource(GoldenCalibrationFiles.FOLDER + GoldenCalibrationFiles.fileName(m));
    assertNotNull(url, "golden file missing: run GoldenCalibrationFiles (see its Javadoc)");
    CalibrationTable golden = CalibrationTable.read(Path.of(url.toURI()));
    CalibrationTable now = GoldenCalibrationFiles.compute(m);
    assertEquals(golden.formatVersion(), now.formatVersion());
    assertEquals(golden.method(), now.method());
    assertEquals(golden.modelSha256(), now.modelSha256(), "the model's ONNX bytes changed");
    assertEquals(golden.dataSha256(), now.dataSha256(), "the fed samples changed");
    assertEquals(golden.samples(), now.samples());
    assertEquals(withoutVersions(golden.provenance()), withoutVersions(now.provenance()));
    assertEquals(golden.tensors().keySet(), now.tensors().keySet());
    for (Map.Entry<String, TensorRange> e : golden.tensors().entrySet()) {
      TensorRange g = e.getValue();
      TensorRange n = now.range(e.getKey());
      String what = m.id() + " " + e.getKey();
      float observed = Math.max(Math.abs(g.observedMin()), Math.abs(g.observedMax()));
      assertEquals(
          g.observedMin(), n.observedMin(), 1e-5 * Math.max(1e-3, Math.abs(g.observedMin())), what);
      assertEquals(
          g.observedMax(), n.observedMax(), 1e-5 * Math.max(1e-3, Math.abs(g.observedMax())), what);
      double bin =
          m == CalibrationMethod.MINMAX
              ? 1e-5 * Math.max(1e-3, observed)
              : TensorStatistics.binWidthFor(observed);
      assertEquals(g.min(), n.min(), bin, what + " lower end");
      assertEquals(g.max(), n.max(), bin, what + " upper end");
      assertEquals(g.method(), n.method(), what);
      assertEquals(g.samples(), n.samples(), what);
      assertEquals(g.histogramBins(), n.histogramBins(), what);
    }
  }

  private static Map<String, String> withoutVersions(Map<String, String> p) {
    Map<String, String> m = new HashMap<>(p);
    m.remove("version");
    m.remove("runtime");
    return m;
  }
}
