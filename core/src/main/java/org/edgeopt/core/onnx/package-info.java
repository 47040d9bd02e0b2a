/**
 * ONNX model I/O through the ONNX protobuf classes, and the reference ONNX checker, shape
 * inference and opset converter through the bytedeco ONNX preset.
 */
package org.edgeopt.core.onnx;
