package org.edgeopt.deploy;

/**
 * One inference as a device logged it (the schema is in {@code docs/operations.md}). Serializable,
 * so that a distributed engine can move records between its workers.
 *
 * @param device the device id
 * @param timestampMs when it ran, milliseconds since the epoch (UTC)
 * @param modelVersion the model version the device ran, or {@code null}
 * @param failed whether inference failed (no prediction)
 * @param fallback whether the device fell back (to the cloud or an older model)
 * @param predicted the top-1 class, -1 when failed
 * @param confidence the top-1 probability, NaN when failed
 * @param margin top-1 minus top-2 probability, NaN when the device logged no top-k scores
 * @param latencyMs the inference latency, NaN when not logged
 * @param label the true class where feedback labelled the sample, else -1
 * @param sampleId an id the device can retrieve the input by, or {@code null}
 * @param escalated whether a cascade sent the input on to its large model, {@code null} when not logged
 */
public record TelemetryRecord(
    String device,
    long timestampMs,
    String modelVersion,
    boolean failed,
    boolean fallback,
    int predicted,
    double confidence,
    double margin,
    double latencyMs,
    int label,
    String sampleId,
    Boolean escalated)
    implements java.io.Serializable {}
