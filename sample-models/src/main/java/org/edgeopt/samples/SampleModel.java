package org.edgeopt.samples;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * One committed sample model with its data, as described by its {@code sample.json}.
 *
 * <p>All paths are regular files on disk (extracted from the jar when needed), so they can be
 * handed to ONNX Runtime, TorchScript or any file-based tool. The {@code fp32} numbers are the
 * reference accuracy of the unoptimised model on the committed holdout split, computed when the
 * model was trained; an optimised model is compared against them.
 *
 * @param name the sample's name, e.g. {@code fashion-mnist}
 * @param task the task, currently always {@code classification}
 * @param directory the folder holding {@code sample.json} and the files below
 * @param model the FP32 ONNX model (opset 13, dynamic batch)
 * @param torchscript the same model as traced TorchScript ({@code .pt}), the FP32 reference
 * @param inputName the name of the model's single input
 * @param inputShape the input shape, {@code -1} for the dynamic batch dimension
 * @param outputName the name of the model's single output (logits)
 * @param classNames the class names, indexed by label
 * @param preprocess the preprocessing spec, e.g. {@code scale=0.0625} (comma-separated
 *     {@code key=value}: scale, mean, std, layout, channels, resize, crop)
 * @param calibration the calibration split (drawn from the training data)
 * @param holdout the holdout split (disjoint from all data the model was trained on)
 * @param license the licence or attribution file of the data
 * @param fp32HoldoutCorrect the number of holdout samples the FP32 model classifies correctly
 * @param fp32HoldoutTotal the number of holdout samples
 */
public record SampleModel(
    String name,
    String task,
    Path directory,
    Path model,
    Path torchscript,
    String inputName,
    List<Long> inputShape,
    String outputName,
    List<String> classNames,
    String preprocess,
    DataSplit calibration,
    DataSplit holdout,
    Path license,
    int fp32HoldoutCorrect,
    int fp32HoldoutTotal) {

  /**
   * Copies the lists and checks that no component is missing.
   *
   * @param name the sample's name
   * @param task the task
   * @param directory the folder holding {@code sample.json}
   * @param model the FP32 ONNX model
   * @param torchscript the TorchScript model
   * @param inputName the input name
   * @param inputShape the input shape, {@code -1} for the batch dimension
   * @param outputName the output name
   * @param classNames the class names, indexed by label
   * @param preprocess the preprocessing spec
   * @param calibration the calibration split
   * @param holdout the holdout split
   * @param license the licence or attribution file
   * @param fp32HoldoutCorrect the FP32 correct count on the holdout
   * @param fp32HoldoutTotal the holdout size
   * @throws NullPointerException if a component is {@code null}
   * @throws IllegalArgumentException if the FP32 counts are inconsistent
   */
  public SampleModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(torchscript, "torchscript");
    Objects.requireNonNull(inputName, "inputName");
    inputShape = List.copyOf(inputShape);
    Objects.requireNonNull(outputName, "outputName");
    classNames = List.copyOf(classNames);
    Objects.requireNonNull(preprocess, "preprocess");
    Objects.requireNonNull(calibration, "calibration");
    Objects.requireNonNull(holdout, "holdout");
    Objects.requireNonNull(license, "license");
    if (fp32HoldoutCorrect < 0 || fp32HoldoutCorrect > fp32HoldoutTotal) {
      throw new IllegalArgumentException(
          "fp32 holdout correct " + fp32HoldoutCorrect + " not in [0, " + fp32HoldoutTotal + "]");
    }
  }

  /**
   * Returns the input shape as an array, {@code -1} for the dynamic batch dimension.
   *
   * @return a fresh array
   */
  public long[] inputShapeArray() {
    return inputShape.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * Returns the FP32 top-1 accuracy on the holdout split.
   *
   * @return {@code fp32HoldoutCorrect / fp32HoldoutTotal}
   */
  public double fp32HoldoutTop1() {
    return fp32HoldoutTotal == 0 ? 0.0 : (double) fp32HoldoutCorrect / fp32HoldoutTotal;
  }

  /**
   * Returns every file of this sample: {@code sample.json}, the models, the licence and the data files.
   *
   * @return the files
   */
  public List<Path> files() {
    return Stream.of(
            Stream.of(directory.resolve(SampleModels.DESCRIPTOR), model, torchscript, license),
            calibration.files().stream(),
            holdout.files().stream())
        .flatMap(s -> s)
        .toList();
  }
}
