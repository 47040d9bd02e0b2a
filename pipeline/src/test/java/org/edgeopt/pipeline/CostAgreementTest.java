package org.edgeopt.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.IngestResult;
import org.edgeopt.ingest.Ingestor;
import org.edgeopt.ingest.ModelCard;
import org.edgeopt.prune.ModelCost;
import org.edgeopt.prune.PruneMode;
import org.edgeopt.prune.PruneReport;
import org.edgeopt.prune.PruneRequest;
import org.edgeopt.prune.Pruner;
import org.edgeopt.samples.DataSplit;
import org.edgeopt.samples.SampleModel;
import org.edgeopt.samples.SampleModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The model card (ingest) and the pruning report state the same MACs and parameters for the same model. */
class CostAgreementTest {

  static List<String> samples() {
    return SampleModels.names();
  }

  @ParameterizedTest
  @MethodSource("samples")
  void modelCardAndPruneCostAgreeLayerByLayer(String name) throws Exception {
    IngestResult ingested =
        new Ingestor().ingest(SampleModels.get(name).model(), IngestOptions.defaults());
    ModelCard card = ingested.card();
    ModelCost cost = ModelCost.of(ingested.graph(), name);
    assertTrue(card.totalMacs() > 0, name);
    assertEquals(card.totalMacs(), cost.macs(), name + ": total MACs");
    assertEquals(card.parameterCount(), cost.parameters(), name + ": parameters");
    Map<String, Long> cardLayers = new LinkedHashMap<>();
    for (ModelCard.LayerMacs l : card.layers()) {
      cardLayers.put(l.node(), l.macs());
    }
    assertEquals(cardLayers, cost.layerMacs(), name + ": MACs per layer");
  }

  @Test
  void pruneReportOfTheIngestedDigitsModelStatesTheCardsFigures() throws Exception {
    SampleModel s = SampleModels.get("digits-mlp");
    IngestResult ingested = new Ingestor().ingest(s.model(), IngestOptions.defaults());
    DataSplit h = s.holdout();
    Dataset holdout =
        Datasets.open(
            h.file(), Preprocessing.parse(s.preprocess()), s.classNames(), h.labelColumn());
    PruneRequest request =
        PruneRequest.of(
                TargetProfiles.get("onnxruntime-cpu"), PruneMode.AUTO, 1.0, false, holdout, null)
            .withLatency(false);
    PruneReport report = Pruner.prune(ingested.graph(), request, s.name(), line -> {}).report();
    assertEquals(ingested.card().totalMacs(), report.macsBefore());
    assertEquals(ingested.card().parameterCount(), report.parametersBefore());
  }
}
