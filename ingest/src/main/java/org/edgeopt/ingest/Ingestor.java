package org.edgeopt.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.Version;
import org.edgeopt.core.cost.GraphCost;
import org.edgeopt.core.cost.NodeCost;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.graph.ModelInfo;
import org.edgeopt.core.graph.Shape;
import org.edgeopt.core.graph.Value;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.io.Hashes;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.ingest.pass.BatchNormFolding;
import org.edgeopt.ingest.pass.ConstantFolding;
import org.edgeopt.ingest.pass.DropoutIdentityRemoval;
import org.edgeopt.ingest.pass.Fp16Upcast;
import org.edgeopt.ingest.pass.GraphPass;
import org.edgeopt.ingest.pass.NodeNaming;
import org.edgeopt.ingest.pass.OpsetUpgrade;
import org.edgeopt.ingest.pass.PassResult;

/**
 * Imports an ONNX model: reads and checks it, normalises it to a checked FP32 graph at a minimum
 * opset, and describes it in a {@link ModelCard}.
 *
 * <p>The passes run in this order: node naming, FP16 to FP32 upcast, Dropout/Identity removal,
 * opset upgrade, constant folding, BatchNorm folding, a second Dropout/Identity sweep; then the
 * ONNX checker and shape inference run on the result. Nothing is written until
 * {@link #write(IngestResult, Path)} is called, so a bad model leaves no trace on disk.
 */
public final class Ingestor {
  /** The file name of the normalised model in an output folder. */
  public static final String MODEL_FILE = "model.onnx";

  /** Creates an ingestor. */
  public Ingestor() {}

  /**
   * Reads, checks, normalises and describes a model.
   *
   * @throws EdgeoptException (exit 3) naming the file, and the node where it applies, when the
   *     model is missing, unreadable, malformed, rejected by the ONNX checker, or when the
   *     reference or a target profile cannot be used
   */
  public IngestResult ingest(Path model, IngestOptions options) throws EdgeoptException {
    String where = model.toString();
    List<TargetProfile> profiles = profiles(options);
    if (options.reference() != null && !Files.isRegularFile(options.reference())) {
      throw EdgeoptException.invalid(
          options.reference()
              + ": TorchScript reference not found"
              + (Files.isDirectory(options.reference())
                  ? " (expected a .pt file, found a folder)"
                  : ""));
    }
    Graph source = OnnxModels.read(model);
    OnnxChecker.check(source, where);
    FiniteWeights.require(source, where);
    String sha;
    try {
      sha = Hashes.sha256(model);
    } catch (IOException e) {
      throw EdgeoptException.invalid(where + ": cannot read the model: " + e.getMessage(), e);
    }
    List<String> messages = new ArrayList<>();
    Graph g = normalize(source, options.minimumOpset(), where, messages);
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("edgeopt.version", Version.get());
    provenance.put("edgeopt.stage", "ingest");
    provenance.put("edgeopt.source.sha256", sha);
    provenance.put("edgeopt.source.producer", producer(source.info()));
    g =
        g.toBuilder()
            .info(g.info().withMetadata(provenance).withProducer(Version.PRODUCER, Version.get()))
            .build();
    FidelityCheck fidelity =
        options.reference() == null ? null : FidelityChecker.check(g, options.reference(), where);
    ModelCard card = describe(g, source, model, sha, profiles, fidelity, messages);
    return new IngestResult(g, card, fidelity, messages);
  }

  /**
   * Runs the normalisation passes and the final check and shape inference on a graph.
   *
   * @param minimumOpset the opset to raise older models to
   * @param where the model's origin, for error messages
   * @param messages receives one line per pass
   * @return the normalised graph, with intermediate value types inferred
   */
  public static Graph normalize(Graph graph, int minimumOpset, String where, List<String> messages)
      throws EdgeoptException {
    List<GraphPass> passes =
        List.of(
            new NodeNaming(),
            new Fp16Upcast(),
            new DropoutIdentityRemoval(),
            new OpsetUpgrade(minimumOpset),
            new ConstantFolding(),
            new BatchNormFolding(),
            new DropoutIdentityRemoval());
    Graph g = graph;
    for (int i = 0; i < passes.size(); i++) {
      PassResult r = passes.get(i).apply(g, where);
      // The second Dropout/Identity sweep only catches what folding exposed; say so only when it
      // did.
      if (i < passes.size() - 1 || r.changed()) {
        messages.add(r.message());
      }
      g = r.graph();
    }
    // Types recorded before the passes may name values that no longer exist: infer them afresh.
    g = g.toBuilder().clearValueInfo().build();
    OnnxChecker.check(g, where);
    g = OnnxChecker.inferShapes(g, where);
    messages.add(
        "check: the ONNX checker accepts the normalised model; shapes inferred for "
            + g.valueInfo().size()
            + " values");
    return g;
  }

  /** Writes {@code DIR/model.onnx} and {@code DIR/model-card.json}, each atomically. */
  public static void write(IngestResult result, Path dir) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.write(dir.resolve(MODEL_FILE), OnnxModels.toBytes(result.graph()));
    result.card().write(dir.resolve(ModelCard.FILE_NAME));
  }

  private static List<TargetProfile> profiles(IngestOptions options) throws EdgeoptException {
    if (options.targets().isEmpty()) {
      return List.copyOf(TargetProfiles.builtIn().values());
    }
    List<TargetProfile> out = new ArrayList<>();
    for (String t : options.targets()) {
      out.add(TargetProfiles.get(t));
    }
    return out;
  }

  private static String producer(ModelInfo info) {
    String p = (info.producerName() + " " + info.producerVersion()).strip();
    return p.isEmpty() ? "unknown" : p;
  }

  static ModelCard describe(
      Graph g,
      Graph source,
      Path model,
      String sha,
      List<TargetProfile> profiles,
      FidelityCheck fidelity,
      List<String> passes) {
    GraphCost cost = GraphCost.of(g);
    List<ModelCard.LayerMacs> layers = new ArrayList<>();
    for (NodeCost n : cost.weightedLayers()) {
      layers.add(new ModelCard.LayerMacs(n.name(), n.opType(), n.macs(), n.outputDims()));
    }
    List<ModelCard.TargetCoverage> coverage = new ArrayList<>();
    for (TargetProfile p : profiles) {
      coverage.add(TargetCoverageCheck.cover(g, p));
    }
    ModelCard.Source src =
        new ModelCard.Source(
            model.toString(),
            sha,
            producer(source.info()),
            source.info().irVersion(),
            source.opset(),
            source.parameterCount());
    ModelCard.Artifact artifact =
        new ModelCard.Artifact(MODEL_FILE, Hashes.sha256(OnnxModels.toBytes(g)));
    return new ModelCard(
        ModelCard.FORMAT,
        Version.PRODUCER + " " + Version.get(),
        src,
        artifact,
        g.opset(),
        summaries(g.inputs()),
        summaries(g.outputs()),
        g.opHistogram(),
        g.nodes().size(),
        cost.parameters(),
        cost.weightBytes(),
        cost.macs(),
        layers,
        cost.peakActivation(),
        coverage,
        fidelity,
        passes);
  }

  private static List<ModelCard.TensorSummary> summaries(List<Value> values) {
    List<ModelCard.TensorSummary> out = new ArrayList<>();
    for (Value v : values) {
      Shape s = v.hasType() ? v.type().shape() : null;
      String type =
          v.hasType() ? v.type().dataType().name().toLowerCase(java.util.Locale.ROOT) : "unknown";
      List<Long> dims = s == null ? List.of() : boxed(s.sizes());
      String display =
          type
              + (s == null
                  ? "[?]"
                  : "["
                      + String.join(", ", s.dims().stream().map(Shape.Dim::toString).toList())
                      + "]");
      out.add(
          new ModelCard.TensorSummary(v.name(), type, dims, s != null && s.isStatic(), display));
    }
    return out;
  }

  private static List<Long> boxed(long[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
