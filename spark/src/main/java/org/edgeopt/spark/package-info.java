/**
 * Calibration and validation on Apache Spark: executors run ONNX Runtime on their partitions and
 * fold the same mergeable statistics as one machine; the driver merges the partials in partition
 * order and writes the same files as the single-machine commands.
 */
package org.edgeopt.spark;
