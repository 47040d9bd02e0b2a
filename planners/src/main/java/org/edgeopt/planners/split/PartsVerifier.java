package org.edgeopt.planners.split;

import java.util.Iterator;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Batch;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.eval.BatchRunner;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.Tensor;
import org.edgeopt.core.quant.QuantParams;
import org.edgeopt.core.runtime.InferenceSession;
import org.edgeopt.core.runtime.OrtRuntime;

/**
 * Runs the written parts the way a deployment does, edge then server with the wire format in
 * between, and compares with the whole model: within {@link SplitRequest#FP32_TOLERANCE} for FP32
 * on the wire, at least {@link SplitRequest#INT8_MIN_AGREEMENT} top-1 agreement otherwise.
 */
public final class PartsVerifier {
  private PartsVerifier() {}

  /** Verifies {@code edge} (null for cloud-only) and {@code server} (null for edge-only) against {@code whole}. */
  public static PartsCheck verify(
      Graph whole,
      Graph edge,
      Graph server,
      Cut cut,
      WireFormat format,
      Map<String, QuantParams> ranges,
      Dataset data,
      int limit,
      int batchSize)
      throws EdgeoptException {
    try (InferenceSession full = OrtRuntime.get().open(whole, SplitEvaluator.SESSION);
        InferenceSession e =
            edge == null ? null : OrtRuntime.get().open(edge, SplitEvaluator.SESSION);
        InferenceSession s =
            server == null ? null : OrtRuntime.get().open(server, SplitEvaluator.SESSION)) {
      Comparison c =
          compare(
              SplitEvaluator.singleInput(whole),
              whole.outputs().get(0).name(),
              full,
              e,
              s,
              cut,
              format,
              ranges,
              data,
              limit,
              batchSize);
      int seen = c.samples();
      double maxDiff = c.maxAbsDiff();
      double agreement = c.agreement();
      boolean fp32 = format == WireFormat.FP32;
      String criterion =
          fp32
              ? "max |diff| <= " + SplitRequest.FP32_TOLERANCE
              : "top-1 agreement >= " + SplitRequest.INT8_MIN_AGREEMENT;
      boolean passed =
          seen > 0
              && (fp32
                  ? maxDiff <= SplitRequest.FP32_TOLERANCE
                  : agreement >= SplitRequest.INT8_MIN_AGREEMENT);
      return new PartsCheck(seen, maxDiff, agreement, criterion, passed);
    }
  }

  /** How a composition compared with the whole model. */
  public record Comparison(int samples, double maxAbsDiff, double agreement) {}

  /**
   * Runs {@code edge} (null for cloud-only) then {@code server} (null for edge-only), in any
   * runtime, on up to {@code limit} samples and compares the {@code output} with {@code full}'s.
   */
  public static Comparison compare(
      String input,
      String output,
      InferenceSession full,
      InferenceSession e,
      InferenceSession s,
      Cut cut,
      WireFormat format,
      Map<String, QuantParams> ranges,
      Dataset data,
      int limit,
      int batchSize)
      throws EdgeoptException {
    double maxDiff = 0;
    int agree = 0;
    int seen = 0;
    Iterator<Batch> it = data.batches(BatchRunner.batchSize(full, batchSize), limit);
    while (it.hasNext()) {
      Batch b = it.next();
      Tensor x = b.input().withName(input);
      Tensor reference = full.run(Map.of(input, x)).get(output);
      Tensor composed = Composition.run(e, s, cut, Map.of(input, x), format, ranges).get(output);
      float[] r = reference.toFloats();
      float[] c = composed.toFloats();
      for (int i = 0; i < r.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs((double) r[i] - c[i]));
      }
      int[] rt = BatchRunner.top1(reference);
      int[] ct = BatchRunner.top1(composed);
      for (int i = 0; i < rt.length; i++) {
        agree += rt[i] == ct[i] ? 1 : 0;
      }
      seen += b.size();
    }
    return new Comparison(seen, maxDiff, seen == 0 ? Double.NaN : agree / (double) seen);
  }
}
