/**
 * The Edge TPU target: a quantized QDQ ONNX model lowered to an int8 TFLite flatbuffer in NHWC
 * layout ({@link org.edgeopt.target.tflite.OnnxToTflite}, written and read through the TFLite
 * schema classes by {@link org.edgeopt.target.tflite.TfliteFlatbuffers}), checked against the
 * {@code edgetpu} profile ({@link org.edgeopt.target.tflite.EdgeTpuCompatibilityChecker}), and
 * verified in a real TFLite interpreter against ONNX Runtime
 * ({@link org.edgeopt.target.tflite.TfliteVerifier}); {@link org.edgeopt.target.tflite.EdgeTpuTarget}
 * is the compile plug-in and {@link org.edgeopt.target.tflite.TfliteRuntime} runs {@code .tflite}
 * files for validation.
 */
package org.edgeopt.target.tflite;
