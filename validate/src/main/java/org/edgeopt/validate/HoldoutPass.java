package org.edgeopt.validate;

import java.io.Serializable;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.SessionOptions;

/**
 * How the accuracy pass over the holdout runs: on this machine ({@link #LOCAL}), or spread over a
 * cluster whose partial {@link DriftAccumulator}s are merged (the {@code spark} module).
 */
public interface HoldoutPass {
  /** Runs both models over the holdout in this JVM. */
  HoldoutPass LOCAL =
      (data, ref, cand, settings, progress) ->
          Validator.accumulate(data, ref, cand, settings, progress);

  /**
   * Returns the drift figures over the first {@code settings.limit()} samples of {@code data}.
   *
   * @param ref the reference's session, opened here
   * @param cand the candidate's session, opened here
   * @throws EdgeoptException (invalid input) when a sample or an output cannot be judged
   */
  DriftAccumulator run(
      Dataset data,
      InferenceSession ref,
      InferenceSession cand,
      Settings settings,
      ProgressListener progress)
      throws EdgeoptException;

  /** Returns a line for the report's provenance saying where the pass ran, or null for this machine. */
  default String engine() {
    return null;
  }

  /**
   * What a pass needs besides the data and the sessions; small and serializable, so a cluster can
   * ship it with each task.
   *
   * @param classification whether outputs are class scores (decided on the first batch)
   * @param classNames the class names, or empty
   * @param tolerance the allowed absolute output difference, or null
   * @param holdoutWhere the holdout as named in errors
   * @param batchSize samples per inference
   * @param limit samples to use
   * @param threads ONNX Runtime threads per session
   * @param candidateArithmetic the INT8 arithmetic the candidate's session was opened with
   */
  record Settings(
      boolean classification,
      List<String> classNames,
      Double tolerance,
      String holdoutWhere,
      int batchSize,
      int limit,
      int threads,
      SessionOptions.Int8Arithmetic candidateArithmetic)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    public Settings {
      classNames = List.copyOf(classNames);
    }
  }
}
