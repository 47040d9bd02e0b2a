package org.edgeopt.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.edgeopt.calibrate.Calibration;
import org.edgeopt.calibrate.CalibrationConfig;
import org.edgeopt.core.cpu.Int8LayerBounds;
import org.edgeopt.core.cpu.PairSaturation;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.samples.DataSplit;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;

/**
 * The portable onnxruntime-cpu profile's promise: no quantized layer of any model can form a
 * uint8 x int8 pair sum over 32,767, so x86 CPUs without VNNI compute the same integers as every
 * other CPU. Checked on the weights themselves (the bound does not depend on the data).
 */
class PortableWeightRangeTest {

  private record Case(String name, Graph fp32, CalibrationTable table) {}

  private static List<Case> models() throws Exception {
    List<Case> cases = new ArrayList<>();
    for (String name : SampleModels.names()) {
      SampleModel s = SampleModels.get(name);
      Graph g = OnnxModels.read(s.model());
      DataSplit split = s.calibration();
      CalibrationTable t =
          Calibration.calibrate(
              g,
              Datasets.open(
                  split.images() != null ? split.images() : split.file(),
                  Preprocessing.parse(s.preprocess()),
                  s.classNames(),
                  split.labelColumn()),
              CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu")).withSamples(64));
      cases.add(new Case(name, g, t));
    }
    Optional<Path> mnist = SharedModels.find("mnist-7/mnist.onnx");
    Optional<Path> digits = SharedModels.find("mnist-t10k");
    if (mnist.isPresent() && digits.isPresent()) {
      Graph g = OnnxModels.read(mnist.get());
      cases.add(
          new Case(
              "mnist-7",
              g,
              Calibration.calibrate(
                  g,
                  Datasets.open(digits.get(), Preprocessing.identity(), null, null),
                  CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-cpu"))
                      .withSamples(64))));
    }
    if (SqueezeNetFixtures.model().isPresent()) {
      Graph g = SqueezeNetFixtures.fp32();
      cases.add(
          new Case(
              "squeezenet-1.0",
              g,
              MinMaxCalibration.collect(g, SqueezeNetFixtures.calibrationSet().iterator())));
    }
    return cases;
  }

  @Test
  void noQuantizedLayerOfAnyModelCanSaturateAPairUnderThePortableProfile() throws Exception {
    List<Case> cases = models();
    assertTrue(cases.size() >= 2, "at least the sample models");
    for (Case c : cases) {
      Graph q =
          QdqQuantizer.quantize(c.fp32(), c.table(), QuantizeConfig.defaults(), c.name(), "table")
              .graph();
      Int8LayerBounds bounds = Int8LayerBounds.of(q);
      assertTrue(bounds.any(), c.name() + " has quantized layers");
      for (Int8LayerBounds.Layer l : bounds.layers()) {
        assertFalse(l.canSaturate(), c.name() + ": " + l);
        assertTrue(
            l.depthwise() || l.worstCasePairSum() <= PairSaturation.INT16_MAX, c.name() + ": " + l);
        assertTrue(l.maxAbsWeight() <= (l.depthwise() ? 127 : 64), c.name() + ": " + l);
      }
      System.out.printf(
          "%s: %d quantized layers, worst-case pair sum %,d%n",
          c.name(), bounds.layers().size(), bounds.worstCasePairSum());
    }
  }

  @Test
  void theVnniProfileUsesTheFullRangeAndCanSaturateOnAvx2() throws Exception {
    SampleModel s = SampleModels.fashionMnist();
    Case c = new Case(s.name(), OnnxModels.read(s.model()), null);
    CalibrationTable t =
        Calibration.calibrate(
            c.fp32(),
            Datasets.open(
                s.calibration().images(),
                Preprocessing.parse(s.preprocess()),
                s.classNames(),
                null),
            CalibrationConfig.forTarget(TargetProfiles.get("onnxruntime-x86-vnni"))
                .withSamples(64));
    QuantizeConfig vnni = QuantizeConfig.forTarget(TargetProfiles.get("onnxruntime-x86-vnni"));
    assertEquals(127, vnni.weightQuantMax(false));
    Int8LayerBounds bounds =
        Int8LayerBounds.of(QdqQuantizer.quantize(c.fp32(), t, vnni, s.name(), "table").graph());
    assertTrue(bounds.worstSaturating().isPresent(), bounds.toString());
    assertEquals(2 * 255 * 127, bounds.worstCasePairSum());
  }
}
