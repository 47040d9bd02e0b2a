/**
 * Benchmarks of the quantizer (runnable mains, not tests): INT8 against FP32 SqueezeNet
 * throughput under ONNX Runtime, and the plain-loop-versus-ND4J comparison for weight
 * quantization (JMH).
 */
package org.edgeopt.quantize.bench;
