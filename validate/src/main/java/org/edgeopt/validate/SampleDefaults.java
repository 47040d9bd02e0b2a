package org.edgeopt.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;

/**
 * The holdout, preprocessing and class names of a sample model, read from the {@code sample.json}
 * beside it, so that {@code edgeopt validate} on a sample needs no more than the two models.
 *
 * @param holdout the holdout data (the IDX images file, or the CSV file)
 * @param preprocess the sample's preprocessing spec
 * @param classNames the class names, indexed by label
 * @param labelColumn the CSV label column, or {@code null} for IDX
 */
public record SampleDefaults(Path holdout, String preprocess, List<String> classNames, String labelColumn) {

  /** The descriptor every sample folder holds. */
  public static final String DESCRIPTOR = "sample.json";

  /** Copies the list. */
  public SampleDefaults {
    classNames = List.copyOf(classNames);
  }

  /**
   * Returns the defaults of the sample whose model (ONNX or TorchScript) is {@code model}, if a
   * {@value #DESCRIPTOR} beside it names that file.
   *
   * @throws EdgeoptException if the descriptor exists but is not a valid sample descriptor
   */
  public static Optional<SampleDefaults> near(Path model) throws EdgeoptException {
    Path dir = model.toAbsolutePath().normalize().getParent();
    Path descriptor = dir == null ? null : dir.resolve(DESCRIPTOR);
    if (descriptor == null || !Files.isRegularFile(descriptor)) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(descriptor.toFile());
    } catch (IOException e) {
      throw EdgeoptException.invalid(descriptor + ": expected a sample descriptor in JSON: " + e.getMessage(), e);
    }
    Path self = model.toAbsolutePath().normalize();
    if (!self.equals(resolve(dir, root, "model")) && !self.equals(resolve(dir, root, "torchscript"))) {
      return Optional.empty();
    }
    JsonNode holdout = root.path("holdout");
    String format = holdout.path("format").asText("");
    Path data;
    String labelColumn = null;
    if (format.equals("idx")) {
      data = dir.resolve(text(holdout, "images", descriptor));
    } else if (format.equals("csv")) {
      data = dir.resolve(text(holdout, "file", descriptor));
      labelColumn = text(holdout, "labelColumn", descriptor);
    } else {
      throw EdgeoptException.invalid(descriptor + ": holdout.format must be idx or csv, found '" + format + "'");
    }
    List<String> classes = new ArrayList<>();
    root.path("classes").forEach(c -> classes.add(c.asText()));
    return Optional.of(new SampleDefaults(data, root.path("preprocess").asText(""), classes, labelColumn));
  }

  private static Path resolve(Path dir, JsonNode root, String field) {
    JsonNode v = root.get(field);
    return v == null || !v.isTextual() ? null : dir.resolve(v.asText()).normalize();
  }

  private static String text(JsonNode node, String field, Path where) throws EdgeoptException {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw EdgeoptException.invalid(where + ": holdout." + field + " missing: expected a path relative to the sample folder");
    }
    return v.asText();
  }
}
