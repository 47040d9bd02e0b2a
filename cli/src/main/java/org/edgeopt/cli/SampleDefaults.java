package org.edgeopt.cli;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.samples.DataSplit;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;

/**
 * The holdout, preprocessing and class names of a sample model, read from the {@code sample.json}
 * beside it with the sample catalogue's own parser, so that {@code edgeopt validate} on a sample
 * needs no more than the two models.
 */
final class SampleDefaults {
  /** The descriptor every sample folder holds. */
  static final String DESCRIPTOR = "sample.json";

  private SampleDefaults() {}

  /**
   * Returns the sample whose model (ONNX or TorchScript) is {@code model}, if a
   * {@value #DESCRIPTOR} beside it names that file.
   *
   * @throws EdgeoptException if the descriptor exists but is not a valid sample descriptor
   */
  static Optional<SampleModel> near(Path model) throws EdgeoptException {
    Path self = model.toAbsolutePath().normalize();
    Path dir = self.getParent();
    Path descriptor = dir == null ? null : dir.resolve(DESCRIPTOR);
    if (descriptor == null || !Files.isRegularFile(descriptor)) {
      return Optional.empty();
    }
    SampleModel sample;
    try {
      sample = SampleModels.read(descriptor);
    } catch (IllegalStateException | UncheckedIOException e) {
      throw EdgeoptException.invalid(e.getMessage(), e);
    }
    boolean named =
        self.equals(sample.model().normalize()) || self.equals(sample.torchscript().normalize());
    return named ? Optional.of(sample) : Optional.empty();
  }

  /** Returns the holdout data file: the IDX images or the CSV file. */
  static Path holdoutData(SampleModel sample) {
    DataSplit holdout = sample.holdout();
    return holdout.format() == DataSplit.Format.IDX ? holdout.images() : holdout.file();
  }
}
