package org.edgeopt.planners.split;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.Version;
import org.edgeopt.core.cost.LayerCosts;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.onnx.OnnxChecker;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.quant.QuantParams;

/**
 * Writes the chosen cut's two parts, {@code manifest.json}, {@code split.json} and
 * {@code split.html} into a folder, all or nothing, after checking both parts with the ONNX
 * checker and verifying that edge-then-server reproduces the whole model.
 */
public final class SplitArtifacts {
  /** The edge part's file name. */
  public static final String EDGE_FILE = "edge.onnx";

  /** The server part's file name. */
  public static final String SERVER_FILE = "server.onnx";

  /** The manifest that a deployment reads: files, cut tensors, wire format, int8 parameters. */
  public static final String MANIFEST_FILE = "manifest.json";

  /** Every cut's figures. */
  public static final String PLAN_FILE = "split.json";

  /** The page with the table and the chart. */
  public static final String PAGE_FILE = "split.html";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SplitArtifacts() {}

  /** What was written and how the written parts compared with the whole model. */
  public record Written(List<Path> files, PartsCheck check) {}

  /**
   * Extracts, checks, verifies and writes the chosen cut of {@code plan} for {@code model} into
   * {@code dir}; nothing is written when a check fails.
   */
  public static Written write(SplitPlan plan, Graph model, Path dir, Dataset holdout, int limit)
      throws EdgeoptException {
    Graph g = SplitPlanner.withShapes(model);
    CutCost chosen = plan.chosenCost();
    Cut cut = chosen.cut();
    WireFormat format = plan.request().encoding().format();
    Map<String, QuantParams> ranges = plan.ranges();
    Graph edge = cut.cloudOnly() ? null : GraphSplitter.edgePart(g, cut, format, ranges);
    Graph server = cut.edgeOnly() ? null : GraphSplitter.serverPart(g, cut, format, ranges);
    if (edge != null) {
      OnnxChecker.check(edge, EDGE_FILE);
    }
    if (server != null) {
      OnnxChecker.check(server, SERVER_FILE);
    }
    PartsCheck check =
        PartsVerifier.verify(
            g, edge, server, cut, format, ranges, holdout, limit, plan.request().batchSize());
    if (!check.passed()) {
      throw new EdgeoptException(
          ExitCode.GATE_FAILED,
          plan.model()
              + ": cut "
              + cut.label()
              + " with "
              + format.id()
              + " on the wire: expected "
              + check.criterion()
              + ", found max |diff| "
              + check.maxAbsDiff()
              + ", agreement "
              + check.agreement()
              + " on "
              + check.samples()
              + " samples");
    }
    try (AtomicFiles.Staging st = AtomicFiles.stage(dir)) {
      if (edge != null) {
        OnnxModels.write(edge, st.file(EDGE_FILE));
      }
      if (server != null) {
        OnnxModels.write(server, st.file(SERVER_FILE));
      }
      Files.writeString(
          st.file(MANIFEST_FILE),
          JSON.writeValueAsString(manifest(plan, g, edge, server, check)) + "\n",
          StandardCharsets.UTF_8);
      Files.writeString(
          st.file(PLAN_FILE),
          JSON.writeValueAsString(SplitReport.json(plan)) + "\n",
          StandardCharsets.UTF_8);
      Files.writeString(st.file(PAGE_FILE), SplitPage.render(plan, check), StandardCharsets.UTF_8);
      return new Written(st.commit(), check);
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INVALID_INPUT, dir + ": cannot write the split: " + e.getMessage(), e);
    }
  }

  private static Map<String, Object> manifest(
      SplitPlan plan, Graph g, Graph edge, Graph server, PartsCheck check) {
    CutCost c = plan.chosenCost();
    Encoding e = plan.request().encoding();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("formatVersion", 1);
    m.put("producer", Version.PRODUCER + " " + Version.get());
    m.put("model", plan.model());
    m.put("modelSha256", plan.modelSha256());
    m.put("cut", c.cut().label());
    m.put("edgeNodes", c.cut().edgeNodes().size());
    m.put("edgeModel", edge == null ? null : EDGE_FILE);
    m.put("edgeProfile", plan.request().edge().name());
    m.put("serverModel", server == null ? null : SERVER_FILE);
    m.put("serverProfile", plan.request().server().name());
    m.put("wire", e.format().id());
    m.put("zstd", e.zstd() ? Map.of("level", SplitEvaluator.ZSTD_LEVEL) : null);
    List<Map<String, Object>> tensors = new ArrayList<>();
    for (String t : c.cut().tensors()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", t);
      row.put("wireName", GraphSplitter.wireName(t, e.format()));
      row.put("shape", LayerCosts.sizes(g, t));
      row.put(
          "sentBy",
          g.inputs().stream().anyMatch(v -> v.name().equals(t))
              ? "device (model input)"
              : "edge model output");
      if (e.format() == WireFormat.INT8) {
        QuantParams q = plan.ranges().get(t);
        row.put("scale", q.scale());
        row.put("zeroPoint", q.zeroPoint());
      }
      tensors.add(row);
    }
    m.put("tensors", tensors);
    m.put("bytesPerInput", c.bytes(e));
    m.put(
        "modelledSeconds",
        Map.of(
            "edge",
            c.edgeSeconds(),
            "link",
            c.linkSeconds(e, plan.request().link()),
            "server",
            c.serverSeconds(),
            "total",
            c.totalSeconds(e, plan.request().link())));
    m.put(
        "verification",
        Map.of(
            "samples",
            check.samples(),
            "maxAbsDiff",
            check.maxAbsDiff(),
            "top1Agreement",
            check.agreement(),
            "criterion",
            check.criterion(),
            "passed",
            check.passed()));
    return m;
  }
}
