package org.edgeopt.quantize;

import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.quant.CalibrationTable;
import org.junit.jupiter.api.Test;

class ScratchFallbackTest {
  @Test
  void squeezeNetFallback() throws Exception {
    Graph fp32 = SqueezeNetFixtures.fp32();
    CalibrationTable table = MinMaxCalibration.collect(fp32, SqueezeNetFixtures.calibrationSet().iterator());
    TensorDataset data = new TensorDataset(SqueezeNetFixtures.calibrationSet());
    long t0 = System.nanoTime();
    ModelQuantizer.Outcome plain = ModelQuantizer.quantize(fp32, table, QuantizeConfig.defaults(), data,
        new ModelQuantizer.Provenance("squeezenet", null, "t", null));
    System.out.println("plain output SQNR " + plain.report().outputSqnrDb() + " in " + (System.nanoTime() - t0) / 1e9 + " s");
    plain.report().layers().forEach(l -> System.out.printf("  %-28s %-10s sqnr %.1f added %.1f%n", l.node(), l.op(), l.sqnrDb(), l.addedSqnrDb()));
    t0 = System.nanoTime();
    ModelQuantizer.Outcome fb = ModelQuantizer.quantize(fp32, table, QuantizeConfig.defaults().withFallbackSqnr(plain.report().outputSqnrDb() + 3), data,
        new ModelQuantizer.Provenance("squeezenet", null, "t", null));
    System.out.println("fallback: " + fb.report().fallback() + " -> " + fb.report().outputSqnrDb() + " in " + (System.nanoTime() - t0) / 1e9 + " s");
  }
}
