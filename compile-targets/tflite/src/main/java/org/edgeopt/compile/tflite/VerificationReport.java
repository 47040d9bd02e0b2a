package org.edgeopt.compile.tflite;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How closely the compiled {@code .tflite} (TFLite interpreter) follows the QDQ ONNX model it
 * was lowered from (ONNX Runtime) on the same inputs.
 *
 * @param data what the inputs were: a data set description, or {@code random int8 inputs (seed N)}
 * @param samples the number of samples compared
 * @param top1Agreements samples whose top-1 class (argmax of the output, the lowest index on a tie)
 *     is the same in both
 * @param tiedDisagreements samples whose top-1 classes differ only at a tie: one model's top
 *     class is tied for first (same int8 value) in the other's output, so neither is wrong
 * @param maxAbsDiffSteps the largest output difference, in int8 quantization steps of the output
 * @param meanAbsDiffSteps the mean output difference, in int8 steps
 * @param withinOneStep the fraction of output elements that differ by at most one step
 * @param labelled the number of samples with a known label
 * @param onnxCorrect labelled samples the ONNX model classifies correctly
 * @param tfliteCorrect labelled samples the TFLite model classifies correctly
 * @param reference the runtime and settings of the reference
 * @param candidate the runtime of the candidate
 */
public record VerificationReport(
    String data,
    int samples,
    int top1Agreements,
    int tiedDisagreements,
    double maxAbsDiffSteps,
    double meanAbsDiffSteps,
    double withinOneStep,
    int labelled,
    int onnxCorrect,
    int tfliteCorrect,
    String reference,
    String candidate) {

  /** Returns the fraction of samples whose top-1 class agrees. */
  public double top1Agreement() {
    return samples == 0 ? 0 : (double) top1Agreements / samples;
  }

  /** Returns the fraction of samples whose top-1 class agrees or differs only at a tie. */
  public double top1AgreementCountingTies() {
    return samples == 0 ? 0 : (double) (top1Agreements + tiedDisagreements) / samples;
  }

  /** Returns the ONNX model's top-1 accuracy on the labelled samples, or NaN without labels. */
  public double onnxAccuracy() {
    return labelled == 0 ? Double.NaN : (double) onnxCorrect / labelled;
  }

  /** Returns the TFLite model's top-1 accuracy on the labelled samples, or NaN without labels. */
  public double tfliteAccuracy() {
    return labelled == 0 ? Double.NaN : (double) tfliteCorrect / labelled;
  }

  /** Returns the figures as one line for the compile result. */
  public String summary() {
    String s =
        String.format(
            Locale.ROOT,
            "verified on %d samples (%s): top-1 agreement %.2f%%%s, max |diff| %.2f"
                + " int8 steps, mean %.3f, %.2f%% of outputs within 1 step",
            samples,
            data,
            100 * top1Agreement(),
            tiedDisagreements == 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    " (%.2f%% counting %d tied top classes)",
                    100 * top1AgreementCountingTies(),
                    tiedDisagreements),
            maxAbsDiffSteps,
            meanAbsDiffSteps,
            100 * withinOneStep);
    if (labelled > 0) {
      s +=
          String.format(
              Locale.ROOT,
              "; top-1 accuracy ONNX %.2f%%, TFLite %.2f%%",
              100 * onnxAccuracy(),
              100 * tfliteAccuracy());
    }
    return s;
  }

  /** Returns the report as a JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("data", data);
    m.put("samples", samples);
    m.put("top1Agreement", top1Agreement());
    m.put("top1Agreements", top1Agreements);
    m.put("tiedDisagreements", tiedDisagreements);
    m.put("top1AgreementCountingTies", top1AgreementCountingTies());
    m.put("maxAbsDiffInt8Steps", maxAbsDiffSteps);
    m.put("meanAbsDiffInt8Steps", meanAbsDiffSteps);
    m.put("fractionWithinOneStep", withinOneStep);
    m.put("labelled", labelled);
    if (labelled > 0) {
      m.put("onnxTop1Accuracy", onnxAccuracy());
      m.put("tfliteTop1Accuracy", tfliteAccuracy());
    }
    m.put("reference", reference);
    m.put("candidate", candidate);
    return m;
  }
}
