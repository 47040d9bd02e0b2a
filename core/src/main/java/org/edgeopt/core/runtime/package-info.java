/**
 * The {@link org.edgeopt.core.runtime.InferenceRuntime} SPI: run a graph or a model file on
 * named tensors, with ONNX Runtime as the default and TorchScript (DJL, PyTorch engine) as the
 * FP32 reference.
 */
package org.edgeopt.core.runtime;
