package org.edgeopt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.io.OverwriteGuard;
import org.edgeopt.ingest.FidelityCheck;
import org.edgeopt.ingest.IngestOptions;
import org.edgeopt.ingest.IngestResult;
import org.edgeopt.ingest.Ingestor;
import org.edgeopt.ingest.ModelCard;
import org.edgeopt.ingest.ModelCardTable;
import org.edgeopt.pipeline.Stages;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgeopt ingest}: checks and normalises a model and writes it with its model card.
 *
 * <p>Everything is read and checked before anything is written: a bad model leaves no output
 * folder behind.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Check a model, normalise it (FP16 to FP32, opset >= 13, BatchNorm and constant folding, no Dropout/Identity)",
      "and write DIR/model.onnx with DIR/model-card.json (ops, parameters, MACs, memory, target coverage)."
    })
public final class IngestCommand implements Callable<Integer>, CommonOptions.VerbosityAware {
  @CommandLine.Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to ingest.")
  Path model;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "Output folder (default: edgeopt-out/<model name>/).")
  Path output;

  @Option(
      names = "--opset",
      paramLabel = "N",
      defaultValue = "" + IngestOptions.DEFAULT_OPSET,
      description = "Upgrade models below this opset to it (default: ${DEFAULT-VALUE}; 7 to 22).")
  int opset;

  @Option(
      names = "--reference",
      paramLabel = "MODEL.pt",
      description =
          "A TorchScript export of the same model: report max abs difference and cosine similarity.")
  Path reference;

  @Option(
      names = {"-t", "--target"},
      paramLabel = "PROFILE",
      description =
          "Target profile to cover in the card (repeatable; default: every built-in profile).")
  List<String> targets = new ArrayList<>();

  @Option(
      names = "--json",
      description = "Print the model card as JSON instead of the summary table.")
  boolean json;

  @Override
  public CommonOptions common() {
    return common;
  }

  @Override
  public Integer call() throws EdgeoptException {
    if (opset < IngestOptions.MIN_OPSET || opset > IngestOptions.MAX_OPSET) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--opset must be between "
              + IngestOptions.MIN_OPSET
              + " and "
              + IngestOptions.MAX_OPSET
              + ", found "
              + opset);
    }
    IngestOptions options = new IngestOptions(opset, reference, targets);
    Path dir = output != null ? output : Path.of("edgeopt-out", modelName(model));
    Map<String, Path> in = new java.util.LinkedHashMap<>();
    in.put("the input model", model);
    in.put("--reference", reference);
    OverwriteGuard.refuse(
        in,
        Map.of(
            "-o",
            dir.resolve(Ingestor.MODEL_FILE),
            "the model card",
            dir.resolve(ModelCard.FILE_NAME)));
    IngestResult result = Stages.ingest(model, options, dir);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(result.card().toJson());
    } else {
      out.print(ModelCardTable.render(result.card()));
      if (!common.quiet) {
        out.println();
        out.println(
            "wrote "
                + dir.resolve(Ingestor.MODEL_FILE)
                + " and "
                + dir.resolve(ModelCard.FILE_NAME));
      }
    }
    out.flush();
    FidelityCheck f = result.fidelity();
    if (f != null && !f.withinTolerance()) {
      // The files stay, with the comparison in the card, for diagnosis; the exit code is the
      // accuracy gate's, as an export that does not reproduce its reference is a failed check.
      throw new EdgeoptException(
          ExitCode.GATE_FAILED,
          model
              + ": the ONNX model differs from its TorchScript reference "
              + f.reference()
              + " by "
              + String.format(java.util.Locale.ROOT, "%.3g", f.maxAbsDiff())
              + ", over the tolerance "
              + String.format(
                  java.util.Locale.ROOT, "%.3g", f.tolerance() * Math.max(1, f.referenceMaxAbs()))
              + ": expected the same outputs (is the export from another checkpoint?)");
    }
    return ExitCode.OK.code();
  }

  private static String modelName(Path model) {
    String n = model.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }
}
