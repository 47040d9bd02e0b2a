package org.edgeopt.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.Runtimes;
import org.edgeopt.core.runtime.SessionOptions;
import org.edgeopt.validate.DriftCodec;
import org.edgeopt.validate.HoldoutPass;
import org.edgeopt.validate.ProgressListener;
import org.edgeopt.validate.Validator;

/**
 * On an executor: runs the reference and the candidate (broadcast once per executor as ONNX
 * bytes) over one partition of the holdout in ONNX Runtime, with the sessions one machine opens,
 * and folds the drift figures with the single-machine pass ({@link Validator#accumulate}).
 *
 * @param reference the reference's ONNX bytes, external data inlined
 * @param candidate the candidate's ONNX bytes, external data inlined
 * @param settings the pass settings, with no sample limit (the source has cut the data already)
 */
record ValidationPartitionJob(
    Broadcast<byte[]> reference, Broadcast<byte[]> candidate, HoldoutPass.Settings settings)
    implements PartitionJob {
  private static final long serialVersionUID = 1L;

  @Override
  public byte[] run(Dataset samples) throws EdgeoptException {
    Path dir;
    try {
      dir = Files.createTempDirectory("edgeopt-validate");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot make a temporary folder for the models on this executor", e);
    }
    try {
      // The runtimes open models from files, as on one machine.
      Path ref = write(dir.resolve("reference.onnx"), reference.value());
      Path cand = write(dir.resolve("candidate.onnx"), candidate.value());
      SessionOptions options = SessionOptions.defaults().withThreads(settings.threads());
      try (InferenceSession r = Runtimes.forModel(ref, List.of("input")).open(ref, options);
          InferenceSession c =
              Runtimes.forModel(cand, List.of("input"))
                  .open(cand, options.withInt8Arithmetic(settings.candidateArithmetic()))) {
        return DriftCodec.encode(
            Validator.accumulate(samples, r, c, settings, ProgressListener.silent()));
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        // A temporary file left behind is harmless; the result stands.
      }
    }
  }

  private static Path write(Path file, byte[] bytes) {
    try {
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + " on this executor", e);
    }
  }
}
