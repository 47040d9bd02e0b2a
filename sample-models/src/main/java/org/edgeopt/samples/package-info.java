/**
 * The project's own trained sample models and their field data, as real files on disk.
 *
 * <p>{@link org.edgeopt.samples.SampleModels} describes each committed sample (ONNX model,
 * TorchScript twin, calibration and holdout subsets, preprocessing, FP32 reference accuracy);
 * {@link org.edgeopt.samples.SharedModels} finds the optional third-party models under
 * {@code ../shared/real-models} that real-world tests use when present. Nothing here trains:
 * the models were made once by the scripts in {@code sample-models/training/} and committed.
 */
package org.edgeopt.samples;
