package org.edgeopt.calibrate;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.runtime.OrtRuntime;

/**
 * Calibrates a model on field data: collects mergeable activation statistics in one streaming
 * pass through ONNX Runtime, then freezes them into a {@link CalibrationTable} with a
 * {@link Calibrator}.
 *
 * <pre>{@code
 * Graph model = OnnxModels.read(Path.of("model.onnx"));
 * Dataset data = Datasets.open(Path.of("calibration/"), Preprocessing.parse("scale=1/255"), null, null);
 * CalibrationTable table = Calibration.calibrate(model, data,
 *     CalibrationConfig.of(CalibrationMethod.ENTROPY).withSamples(1000));
 * }</pre>
 */
public final class Calibration {
  /** Describes the histogram in every table's provenance. */
  static final String HISTOGRAM_RULE =
      TensorStatistics.BINS
          + " bins over [-R, R), R the smallest power of two above max |x|; growing R merges 2^k adjacent bins";

  private Calibration() {}

  /**
   * Runs {@code model} over the first {@code config.samples()} samples of {@code data} and
   * returns the statistics of every tensor to calibrate (the graph input and every float
   * activation that a node reads or writes).
   *
   * @throws EdgeoptException (invalid input) when the data does not fit the model input, a
   *     weight or an activation is NaN or infinite, or the data cannot be read
   */
  public static CalibrationStatistics collect(
      Graph model, Dataset data, CalibrationConfig config, CalibrationProgress progress)
      throws EdgeoptException {
    return ActivationCapture.collect(model, data, config, progress, null, where(model));
  }

  /** Returns the table the configured method makes of {@code statistics}, with provenance. */
  public static CalibrationTable table(
      CalibrationStatistics statistics,
      CalibrationConfig config,
      String modelSha256,
      String dataSha256,
      Map<String, String> provenance) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("producer", Version.PRODUCER);
    p.put("version", Version.get());
    p.put("runtime", OrtRuntime.get().name());
    p.put("histogram", HISTOGRAM_RULE);
    p.putAll(config.describe());
    p.putAll(provenance);
    return new CalibrationTable(
        CalibrationTable.FORMAT_VERSION,
        config.method().id(),
        modelSha256,
        dataSha256,
        statistics.samples(),
        p,
        statistics.ranges(config.calibrator()));
  }

  /**
   * Calibrates an in-memory model on a data set. The model hash is that of its ONNX bytes; the
   * data hash is that of the preprocessed float32 samples actually fed, in order.
   */
  public static CalibrationTable calibrate(Graph model, Dataset data, CalibrationConfig config)
      throws EdgeoptException {
    return calibrate(model, data, config, CalibrationProgress.NONE);
  }

  /** As {@link #calibrate(Graph, Dataset, CalibrationConfig)}, reporting progress after each batch. */
  public static CalibrationTable calibrate(
      Graph model, Dataset data, CalibrationConfig config, CalibrationProgress progress)
      throws EdgeoptException {
    OnnxModels.requireOutputs(model, where(model));
    MessageDigest digest = Hashes.sha256();
    CalibrationStatistics stats =
        ActivationCapture.collect(model, data, config, progress, digest, where(model));
    Map<String, String> p = new LinkedHashMap<>();
    p.put("model", where(model));
    p.put("data", data.describe());
    p.put("dataSha256.of", "the preprocessed float32 samples fed, in order");
    return table(
        stats,
        config,
        Hashes.sha256(OnnxModels.toBytes(model)),
        HexFormat.of().formatHex(digest.digest()),
        p);
  }

  /**
   * Calibrates an ONNX file on a data file or folder (any format {@link Datasets#open} reads),
   * recording the SHA-256 of the model file and of the data ({@link Hashes#sha256Tree}).
   */
  public static CalibrationTable calibrate(
      Path model,
      Path data,
      Preprocessing pre,
      CalibrationConfig config,
      CalibrationProgress progress)
      throws EdgeoptException {
    Graph g = OnnxModels.read(model);
    OnnxModels.requireOutputs(g, model.toString());
    Dataset d = Datasets.open(data, pre, null, null);
    CalibrationStatistics stats =
        ActivationCapture.collect(g, d, config, progress, null, model.toString());
    return tableForFiles(stats, config, model, data, d, pre);
  }

  /**
   * Returns the table of statistics collected on the data file or folder {@code data} (opened as
   * {@code dataset}), with the provenance {@link #calibrate(Path, Path, Preprocessing, CalibrationConfig,
   * CalibrationProgress)} records: the same bytes whichever machine or engine collected them.
   *
   * @throws EdgeoptException (invalid input) when the model or the data cannot be hashed
   */
  public static CalibrationTable tableForFiles(
      CalibrationStatistics stats,
      CalibrationConfig config,
      Path model,
      Path data,
      Dataset dataset,
      Preprocessing pre)
      throws EdgeoptException {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("model", model.toString());
    p.put("data", dataset.describe());
    p.put(
        "dataSha256.of",
        "the data "
            + (java.nio.file.Files.isDirectory(data) ? "folder (every file, sorted)" : "file"));
    p.put("preprocess", pre.toSpec());
    try {
      return table(stats, config, Hashes.sha256(model), Hashes.sha256Tree(data), p);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          data + ": cannot hash the data for provenance: " + e.getMessage(), e);
    }
  }

  private static String where(Graph g) {
    return "model '" + g.name() + "'";
  }
}
