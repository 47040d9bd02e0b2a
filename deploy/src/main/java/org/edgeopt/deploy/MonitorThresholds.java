package org.edgeopt.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;

/**
 * When a window of field telemetry raises an alert; every default is stated in
 * {@code docs/operations.md} with the reason for it.
 *
 * @param minSamples a device or fleet window is judged only with at least this many predictions
 * @param alpha the significance level every test must reach before its alert fires
 * @param maxPsi the largest population stability index of the confidence distribution
 * @param maxMeanConfidenceDrop the largest drop of the mean top-1 confidence (probability units)
 * @param maxClassMixDistance the largest total variation distance of the predicted-class mix
 * @param maxLatencyRatio the largest p95 latency as a multiple of the reference (baseline, or the peers' median)
 * @param maxFailureRate the largest share of failed inferences (judged by its Wilson lower bound)
 * @param maxAccuracyDrop the largest labelled-accuracy drop below the baseline (judged by the Wilson upper bound)
 * @param minLabelled labelled accuracy is judged only with at least this many labels
 */
public record MonitorThresholds(
    int minSamples,
    double alpha,
    double maxPsi,
    double maxMeanConfidenceDrop,
    double maxClassMixDistance,
    double maxLatencyRatio,
    double maxFailureRate,
    double maxAccuracyDrop,
    int minLabelled) {

  /** Checks the ranges. */
  public MonitorThresholds {
    if (minSamples < 1) {
      throw new IllegalArgumentException("minimum samples must be at least 1, found " + minSamples);
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), found " + alpha);
    }
    if (!(maxLatencyRatio >= 1)) {
      throw new IllegalArgumentException(
          "the latency ratio must be at least 1, found " + maxLatencyRatio);
    }
    for (double v :
        new double[] {
          maxPsi, maxMeanConfidenceDrop, maxClassMixDistance, maxFailureRate, maxAccuracyDrop
        }) {
      if (!(v >= 0)) {
        throw new IllegalArgumentException("thresholds must be non-negative numbers, found " + v);
      }
    }
  }

  /** Returns the documented defaults. */
  public static MonitorThresholds defaults() {
    return new MonitorThresholds(200, 0.001, 0.2, 0.05, 0.1, 1.5, 0.02, 0.05, 30);
  }

  /**
   * Reads thresholds from a YAML or JSON file holding any of this record's component names
   * (e.g. {@code maxPsi: 0.25}); the rest keep their defaults.
   *
   * @throws EdgeoptException (exit 3) naming the file and the key when it cannot be used
   */
  public static MonitorThresholds read(Path file) throws EdgeoptException {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    try {
      Map<String, Object> values =
          yaml.convertValue(defaults(), new TypeReference<LinkedHashMap<String, Object>>() {});
      JsonNode given = yaml.readTree(file.toFile());
      if (given != null && !given.isNull()) {
        if (!given.isObject()) {
          throw EdgeoptException.invalid(
              file + ": expected a mapping of threshold names to numbers");
        }
        for (var it = given.fields(); it.hasNext(); ) {
          var e = it.next();
          if (!values.containsKey(e.getKey())) {
            throw EdgeoptException.invalid(
                file
                    + ": key '"
                    + e.getKey()
                    + "': unknown threshold: expected one of "
                    + String.join(", ", values.keySet()));
          }
          if (!e.getValue().isNumber()) {
            throw EdgeoptException.invalid(
                file + ": key '" + e.getKey() + "': expected a number, found " + e.getValue());
          }
          values.put(e.getKey(), e.getValue().numberValue());
        }
      }
      return yaml.convertValue(values, MonitorThresholds.class);
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          file + ": cannot read the thresholds: " + e.getMessage().lines().findFirst().orElse(""),
          e);
    } catch (IllegalArgumentException e) {
      Throwable root =
          e.getCause() != null && e.getCause().getCause() != null ? e.getCause().getCause() : e;
      throw EdgeoptException.invalid(
          file + ": " + root.getMessage().lines().findFirst().orElse(""), e);
    }
  }
}
