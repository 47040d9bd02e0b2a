/** The ONNX Runtime target: a portable, pre-optimized ONNX model and its fusion report. */
package org.edgeopt.compile.onnxruntime;
