/**
 * The shared foundation of edgeopt: errors, provenance and the types every stage uses.
 *
 * <p>Sub-packages hold the graph IR ({@code graph}), ONNX I/O and the reference checker
 * ({@code onnx}), runtimes ({@code runtime}), datasets ({@code data}), target profiles
 * ({@code targets}), report page templates ({@code report}) and atomic file output ({@code io}).
 */
package org.edgeopt.core;
