package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.core.quant.CalibrationTable;
import org.edgeopt.core.targets.TargetProfiles;
import org.edgeopt.pipeline.EdgePartCompiler;
import org.edgeopt.planners.split.CutEnumerator;
import org.edgeopt.planners.split.Encoding;
import org.edgeopt.planners.split.Link;
import org.edgeopt.planners.split.SplitArtifacts;
import org.edgeopt.planners.split.SplitJob;
import org.edgeopt.planners.split.SplitPlan;
import org.edgeopt.planners.split.SplitReport;
import org.edgeopt.planners.split.SplitRequest;
import org.edgeopt.planners.split.WireFormat;
import org.edgeopt.samples.SampleModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code edgeopt split}: where to cut a model between an edge device and a server, and the two parts. */
@Command(
    name = "split",
    mixinStandardHelpOptions = true,
    description = {
      "Plan split inference: cost every cut of MODEL for the edge profile, the link and the server profile,",
      "a cut being any set of nodes closed under producers (every branch combination of a fork, both tensors",
      "of a skip connection), listed once per set of tensors sent; past "
          + CutEnumerator.MAX_IDEALS
          + " such sets only the cuts of one",
      "topological order are listed, and the output, split.json and split.html say so;",
      "run every cut's two parts on holdout samples, pick the best cut for the link, and write",
      "DIR/edge.onnx, DIR/server.onnx, DIR/manifest.json, DIR/split.json and DIR/split.html.",
      "The edge part is also compiled for the edge profile's target into DIR/edge-PROFILE/ (quantized first with the",
      "calibration for an int8 target such as edgetpu) and edge (compiled) then server is checked on the holdout;",
      "when the target cannot compile here, manifest.json's edgeCompiled.note says why.",
      "Edge and server times are modelled (roofline of the profile) unless --measure; wire sizes are exact (raw) or measured (zstd)."
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  planned, the written parts reproduce the model",
      "  2  usage error",
      "  3  invalid input (model, data, calibration)",
      "  4  no cut reproduces the model with the requested wire format (or within --max-top1-drop), or the compiled",
      "     edge part then the server part agree with the model on fewer than 99% of the samples"
    })
public final class SplitCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description =
          "The FP32 ONNX model, e.g. from edgeopt ingest. One input: the holdout gives one tensor per sample.")
  Path model;

  @Option(
      names = "--edge",
      required = true,
      paramLabel = "PROFILE",
      description = "The device's target profile.")
  String edge;

  @Option(
      names = "--server",
      required = true,
      paramLabel = "PROFILE",
      description = "The server's target profile.")
  String server;

  @Option(
      names = "--uplink",
      paramLabel = "RATE",
      defaultValue = "10Mbit/s",
      description = "Uplink bandwidth, e.g. 10Mbit/s, 500kbit/s (default: ${DEFAULT-VALUE}).")
  String uplink;

  @Option(
      names = "--rtt",
      paramLabel = "TIME",
      defaultValue = "40ms",
      description = "Round-trip time (default: ${DEFAULT-VALUE}).")
  String rtt;

  @Option(
      names = "--wire",
      paramLabel = "TYPE",
      defaultValue = "fp32",
      description =
          "Element type of the cut tensors on the wire: fp32, fp16 or int8 (default: ${DEFAULT-VALUE}).")
  String wire;

  @Option(
      names = "--zstd",
      description =
          "Choose the cut for zstd-compressed wire bytes (sizes measured on the holdout).")
  boolean zstd;

  @Option(
      names = "--holdout",
      paramLabel = "PATH",
      description = "Samples to run the parts on (default: a sample model's holdout).")
  Path holdout;

  @Option(
      names = "--preprocess",
      paramLabel = "SPEC",
      description = "Preprocessing of the holdout, as in edgeopt validate.")
  String preprocess;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "NAME",
      description = "Class names in label order.")
  List<String> classes;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description = "The label column of a CSV holdout.")
  String labelColumn;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "200",
      description = "Holdout samples to run every cut on (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--calibration",
      paramLabel = "calibration.json",
      description = "Int8 ranges of the cut tensors (edgeopt calibrate).")
  Path calibration;

  @Option(
      names = "--calibration-data",
      paramLabel = "PATH",
      description =
          "Without --calibration: observe the cut tensors' min/max on these samples (same preprocessing).")
  Path calibrationData;

  @Option(
      names = "--max-top1-drop",
      paramLabel = "POINTS",
      description =
          "With --wire int8: the largest top-1 loss a cut may cost, in percentage points.")
  Double maxTop1Drop;

  @Option(
      names = "--compress-samples",
      paramLabel = "N",
      defaultValue = "32",
      description = "Samples the zstd sizes are measured on (default: ${DEFAULT-VALUE}).")
  int compressSamples;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "32",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--measure",
      paramLabel = "N",
      defaultValue = "0",
      description = {
        "Time each part N times at batch 1 on this host and use that instead of the roofline for a side",
        "whose profile describes this host (an onnxruntime-* profile this CPU meets); 0: modelled only (default)."
      })
  int measure;

  @Option(
      names = "--cut",
      paramLabel = "N",
      description =
          "Write cut number N (the # column of the printed table and split.json's cuts[].index: cuts"
              + " ordered by how many nodes the edge runs; an admissible one) instead of the best for the link.")
  Integer cut;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = "Output folder.")
  Path output;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    CommandLine cl = spec.commandLine();
    OptionBounds.check(
        cl, "--limit", limit, 1, Integer.MAX_VALUE, "holdout samples to run the cuts on");
    OptionBounds.check(
        cl,
        "--compress-samples",
        compressSamples,
        0,
        Integer.MAX_VALUE,
        "samples for the zstd sizes");
    OptionBounds.batchSize(cl, "--batch-size", batchSize);
    OptionBounds.check(
        cl,
        "--measure",
        measure,
        0,
        OptionBounds.MAX_RUNS,
        "timed runs per part, 0 for modelled times");
    Link link = new Link(Link.parseRate(uplink), Link.parseDuration(rtt));
    Encoding encoding = new Encoding(WireFormat.parse(wire), zstd);
    if (encoding.format() == WireFormat.INT8 && calibration == null && calibrationData == null) {
      throw new CommandLine.ParameterException(
          cl, "--wire int8 needs --calibration or --calibration-data for the cut tensors' ranges");
    }
    Map<String, Path> in = new LinkedHashMap<>();
    in.put("the model", model);
    in.put("--holdout", holdout);
    in.put("--calibration", calibration);
    Map<String, Path> out = new LinkedHashMap<>();
    for (String f :
        List.of(
            SplitArtifacts.EDGE_FILE,
            SplitArtifacts.SERVER_FILE,
            SplitArtifacts.MANIFEST_FILE,
            SplitArtifacts.PLAN_FILE,
            SplitArtifacts.PAGE_FILE)) {
      out.put("-o's " + f, output.resolve(f));
    }
    out.put(
        "-o's " + EdgePartCompiler.FOLDER_PREFIX + edge,
        output.resolve(EdgePartCompiler.FOLDER_PREFIX + edge));
    OverwriteGuard.refuse(in, out);
    Optional<SampleModel> sample = SampleDefaults.near(model);
    Path data = holdout;
    if (data == null) {
      if (sample.isEmpty()) {
        throw new CommandLine.ParameterException(
            cl, "--holdout is required: " + model + " is not a sample model");
      }
      data = SampleDefaults.holdoutData(sample.get());
    }
    String pre = preprocess != null ? preprocess : sample.map(SampleModel::preprocess).orElse(null);
    List<String> names =
        classes != null ? classes : sample.map(SampleModel::classNames).orElse(null);
    String column =
        labelColumn != null ? labelColumn : sample.map(m -> m.holdout().labelColumn()).orElse(null);
    Preprocessing p = pre == null ? Preprocessing.identity() : Preprocessing.parse(pre);
    Dataset samples = Datasets.open(data, p, names, column);
    Dataset calData =
        calibrationData == null ? null : Datasets.open(calibrationData, p, names, column);
    CalibrationTable table = calibration == null ? null : CalibrationTable.read(calibration);
    SplitRequest request =
        new SplitRequest(
            TargetProfiles.get(edge),
            TargetProfiles.get(server),
            link,
            encoding,
            samples,
            limit,
            table,
            calData,
            maxTop1Drop == null ? Double.NaN : maxTop1Drop,
            compressSamples,
            batchSize,
            measure);
    if (cut != null) {
      OptionBounds.check(cl, "--cut", cut, 0, Integer.MAX_VALUE, "the cut number to write");
    }
    SplitJob.Outcome done = SplitJob.run(model, request, cut == null ? -1 : cut, output);
    EdgePartCompiler.Outcome compiled = EdgePartCompiler.compile(model, done, calibration, output);
    SplitPlan plan = done.plan();
    SplitArtifacts.Written written = done.written();
    PrintWriter w = cl.getOut();
    w.print(SplitReport.text(plan));
    if (!common.quiet) {
      w.printf(
          java.util.Locale.ROOT,
          "written parts, edge then server, on %d samples: max |diff| %.3g, top-1 agreement %.2f%% (%s)%n",
          written.check().samples(),
          written.check().maxAbsDiff(),
          100 * written.check().agreement(),
          written.check().criterion());
      w.println(compiled.note());
      w.println(
          "wrote "
              + (written.files().size() + compiled.artifacts().size())
              + " files into "
              + output);
    }
    w.flush();
    return ExitCode.OK.code();
  }
}
