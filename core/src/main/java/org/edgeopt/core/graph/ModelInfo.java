package org.edgeopt.core.graph;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model-level facts around a graph: IR version, opset imports, producer and metadata.
 *
 * @param irVersion the ONNX IR version
 * @param opsets the opset version per domain ({@code ""} is the default ONNX domain)
 * @param producerName the tool that wrote the model
 * @param producerVersion that tool's version
 * @param docString the model's documentation string
 * @param metadata key/value metadata, e.g. edgeopt provenance
 */
public record ModelInfo(
    long irVersion,
    Map<String, Long> opsets,
    String producerName,
    String producerVersion,
    String docString,
    Map<String, String> metadata) {

  public ModelInfo {
    opsets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(opsets));
    metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    producerName = producerName == null ? "" : producerName;
    producerVersion = producerVersion == null ? "" : producerVersion;
    docString = docString == null ? "" : docString;
  }

  /** Returns a default model info at the given default-domain opset. */
  public static ModelInfo of(long opset) {
    return new ModelInfo(
        8, Map.of("", opset), "edgeopt", org.edgeopt.core.Version.get(), "", Map.of());
  }

  /** Returns the opset of the default ONNX domain, or 1 when not imported. */
  public long opset() {
    Long v = opsets.get("");
    if (v == null) {
      v = opsets.get("ai.onnx");
    }
    return v == null ? 1 : v;
  }

  /** Returns a copy with the default-domain opset replaced. */
  public ModelInfo withOpset(long opset) {
    Map<String, Long> m = new LinkedHashMap<>(opsets);
    m.remove("ai.onnx");
    m.put("", opset);
    return new ModelInfo(irVersion, m, producerName, producerVersion, docString, metadata);
  }

  /** Returns a copy with other metadata entries added or replaced. */
  public ModelInfo withMetadata(Map<String, String> extra) {
    Map<String, String> m = new LinkedHashMap<>(metadata);
    m.putAll(extra);
    return new ModelInfo(irVersion, opsets, producerName, producerVersion, docString, m);
  }

  /** Returns a copy with another producer. */
  public ModelInfo withProducer(String name, String version) {
    return new ModelInfo(irVersion, opsets, name, version, docString, metadata);
  }
}
