/**
 * The {@link org.edgeopt.core.runtime.InferenceRuntime} SPI: run a graph or a model file on
 * named tensors, with ONNX Runtime as the default; other formats (TorchScript, TFLite) come from
 * {@link org.edgeopt.core.runtime.RuntimeProvider} plug-ins, on the class path or in plug-in
 * folders ({@link org.edgeopt.core.runtime.PluginLoader}) opened only when a model needs them.
 */
package org.edgeopt.core.runtime;
