/**
 * The Edge TPU target: a quantized QDQ ONNX model lowered to an int8 TFLite flatbuffer in NHWC
 * layout ({@link org.edgeopt.compile.tflite.OnnxToTflite}, written and read through the TFLite
 * schema classes by {@link org.edgeopt.compile.tflite.TfliteFlatbuffers}), checked against the
 * {@code edgetpu} profile ({@link org.edgeopt.compile.tflite.EdgeTpuCompatibilityChecker}), and
 * verified in a real TFLite interpreter against ONNX Runtime
 * ({@link org.edgeopt.compile.tflite.TfliteVerifier}); {@link org.edgeopt.compile.tflite.EdgeTpuTarget}
 * is the compile plug-in and {@link org.edgeopt.compile.tflite.TfliteRuntime} runs {@code .tflite}
 * files for validation.
 */
package org.edgeopt.compile.tflite;
