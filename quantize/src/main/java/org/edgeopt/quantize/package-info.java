/** INT8 QDQ and FP16 quantization with per-layer fallback to float by measured sensitivity. */
package org.edgeopt.quantize;
