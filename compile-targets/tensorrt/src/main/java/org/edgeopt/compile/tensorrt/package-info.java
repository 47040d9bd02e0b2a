/**
 * The TensorRT target: explicit-quantization ONNX, trtexec recipe, calibration cache, in-process engine build.
 *
 * <p>{@link org.edgeopt.compile.tensorrt.TensorRtTarget} is the {@code tensorrt} plug-in. It takes
 * a QDQ model apart ({@link org.edgeopt.compile.tensorrt.QdqStripper}) or starts from an FP32 model
 * and a calibration table, writes the symmetric int8 Q/DQ placement TensorRT's guidance asks for
 * ({@link org.edgeopt.compile.tensorrt.TensorRtQdqExporter}), checks it
 * ({@link org.edgeopt.compile.tensorrt.TensorRtQdqChecker}), and writes {@code trtexec.sh}
 * ({@link org.edgeopt.compile.tensorrt.TrtexecRecipe}) and {@code calibration.cache}
 * ({@link org.edgeopt.compile.tensorrt.TensorRtCalibrationCache}). The in-process build loads the
 * bytedeco TensorRT presets only after {@link org.edgeopt.compile.tensorrt.TensorRtEnvironment}
 * has found the native libraries.
 */
package org.edgeopt.compile.tensorrt;
