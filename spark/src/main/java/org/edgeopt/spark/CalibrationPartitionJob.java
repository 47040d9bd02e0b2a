package org.edgeopt.spark;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.spark.broadcast.Broadcast;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationProgress;
import org.edgeopt.calibrate.CalibrationStatistics;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;

/**
 * On an executor: runs the model (broadcast once per executor as ONNX bytes) over one partition
 * in ONNX Runtime and folds the activation statistics, exactly as one machine does
 * ({@link Calibration#collect}).
 *
 * @param model the model's ONNX bytes, external data inlined
 * @param settings the calibration settings
 * @param where the model as named in errors
 */
record CalibrationPartitionJob(Broadcast<byte[]> model, ExecutorCalibration settings, String where)
    implements PartitionJob {
  private static final long serialVersionUID = 1L;

  @Override
  public byte[] run(Dataset samples) throws EdgeoptException {
    Graph graph;
    try {
      graph = OnnxModels.fromProto(OnnxMl.ModelProto.parseFrom(model.value()), null, where);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          where + ": the broadcast model does not parse: " + e.getMessage(), e);
    }
    CalibrationStatistics stats =
        Calibration.collect(graph, samples, settings.config(), CalibrationProgress.NONE);
    byte[] hash =
        samples instanceof RowDataset rows
            ? rows.sampleSetPartial()
            : new byte[SampleSetHash.BYTES];
    return new PartialStatistics(stats, hash).encode();
  }
}
