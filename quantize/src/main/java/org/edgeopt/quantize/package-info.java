/**
 * INT8 QDQ and FP16 quantization with per-layer fallback to float by measured sensitivity.
 *
 * <p>{@link org.edgeopt.quantize.ModelQuantizer} is the entry point: it prepares the graph
 * ({@link org.edgeopt.quantize.GraphPreparer}: opset 13+, BatchNorm and bias folding), runs the
 * optional passes the config asks for ({@link org.edgeopt.quantize.CrossLayerEqualization}
 * with {@link org.edgeopt.quantize.BiasAbsorption}, {@link org.edgeopt.quantize.SmoothQuant},
 * learned rounding ({@code AdaRound}, {@code QuantizeConfig.withAdaRound}),
 * {@link org.edgeopt.quantize.BiasCorrection}, in that order; off unless the config or the target
 * profile's {@code quantizePasses} asks, they pay off with per-tensor weights; the report lists
 * what each changed), places
 * QuantizeLinear/DequantizeLinear pairs where ONNX Runtime fuses them into integer kernels
 * ({@link org.edgeopt.quantize.QdqQuantizer}), or converts to half precision
 * ({@link org.edgeopt.quantize.Fp16Converter}); measures each layer's SQNR against FP32 on a few
 * calibration samples ({@link org.edgeopt.quantize.SqnrProbe}); returns the worst layers to float
 * until an error budget is met; and stamps provenance into the model and a
 * {@link org.edgeopt.quantize.QuantizationReport}.
 *
 * <pre>{@code
 * Graph model = OnnxModels.read(Path.of("model.onnx"));
 * CalibrationTable table = CalibrationTable.read(Path.of("calibration.json"));
 * QuantizeConfig config = QuantizeConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")).withFallbackSqnr(30);
 * ModelQuantizer.Outcome out = ModelQuantizer.quantize(model, table, config, calibrationData,
 *     new ModelQuantizer.Provenance("model.onnx", null, "calibration.json", null));
 * out.write(Path.of("model.int8.onnx"));   // and model.int8.quantization.json beside it
 * }</pre>
 */
package org.edgeopt.quantize;
