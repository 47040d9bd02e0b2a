/**
 * The {@link org.edgeopt.core.runtime.InferenceRuntime} SPI: run a graph or a model file on
 * named tensors, with ONNX Runtime as the default; other formats (TorchScript, TFLite) come from
 * {@link org.edgeopt.core.runtime.RuntimeProvider} plug-ins.
 */
package org.edgeopt.core.runtime;
