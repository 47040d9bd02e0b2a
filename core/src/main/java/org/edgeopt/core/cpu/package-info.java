/**
 * What the CPU computes: the host's instruction sets, the integer kernel family ONNX Runtime picks
 * on it, and the pair-saturation rule that makes INT8 results differ between x86 CPUs.
 */
package org.edgeopt.core.cpu;
