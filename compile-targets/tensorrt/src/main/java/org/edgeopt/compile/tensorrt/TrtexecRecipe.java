package org.edgeopt.compile.tensorrt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.Version;
import org.edgeopt.core.io.AtomicFiles;

/**
 * The {@code trtexec.sh} build recipe: the command that builds the engine on the device with
 * NVIDIA's {@code trtexec}, for TensorRT 10.x (JetPack 6), with the 11.x strongly typed
 * variant as a comment.
 *
 * @param profileName the target profile the recipe is for
 * @param modelFile the ONNX file beside the script
 * @param precision {@code int8}, {@code fp16} or {@code fp32}
 * @param fp16Fallback whether layers left in float may run in FP16 (int8 builds on FP16 hardware)
 * @param sparseLayers how many layers have 2:4-sparse weights (0: no {@code --sparsity=enable})
 * @param shapes the optimization profile of each input
 * @param calibrationCache the calibration cache beside the script, or null
 */
public record TrtexecRecipe(
    String profileName,
    String modelFile,
    String precision,
    boolean fp16Fallback,
    int sparseLayers,
    List<InputShape> shapes,
    String calibrationCache) {

  /** The engine file the recipe writes. */
  public static final String ENGINE = "model.engine";

  /** The timing cache the recipe reads and updates, so rebuilds are fast. */
  public static final String TIMING_CACHE = "timing.cache";

  public TrtexecRecipe {
    shapes = List.copyOf(shapes);
  }

  /** Returns the trtexec arguments of the 10.x build, one per element. */
  public List<String> arguments10() {
    List<String> a = new ArrayList<>();
    a.add("--onnx=" + modelFile);
    switch (precision) {
      case "int8" -> {
        a.add("--int8");
        if (fp16Fallback) {
          a.add("--fp16");
        }
      }
      case "fp16" -> a.add("--fp16");
      default -> {}
    }
    if (sparseLayers > 0) {
      a.add("--sparsity=enable");
    }
    a.addAll(shapeArguments());
    a.add("--saveEngine=" + ENGINE);
    a.add("--timingCacheFile=" + TIMING_CACHE);
    return a;
  }

  private List<String> shapeArguments() {
    List<String> a = new ArrayList<>();
    if (shapes.stream().allMatch(InputShape::isStatic)) {
      return a;
    }
    a.add("--minShapes=" + join(shapes, 0));
    a.add("--optShapes=" + join(shapes, 1));
    a.add("--maxShapes=" + join(shapes, 2));
    return a;
  }

  private static String join(List<InputShape> shapes, int which) {
    List<String> parts = new ArrayList<>();
    for (InputShape s : shapes) {
      long[] d = which == 0 ? s.min() : which == 1 ? s.opt() : s.max();
      parts.add(s.name() + ":" + InputShape.dims(d));
    }
    return String.join(",", parts);
  }

  /** Returns the script text. */
  public String render() {
    String nl = "\n";
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh").append(nl);
    s.append("# Builds the TensorRT engine for profile ")
        .append(profileName)
        .append(" on the device.")
        .append(nl);
    s.append("# Written by edgeopt ")
        .append(Version.get())
        .append(" (edgeopt-target-tensorrt).")
        .append(nl);
    s.append(
            "# Run it where trtexec is (JetPack 6: /usr/src/tensorrt/bin/trtexec); set TRTEXEC to another path.")
        .append(nl);
    if (sparseLayers > 0) {
      s.append("# ")
          .append(sparseLayers)
          .append(" layers carry 2:4-sparse weights: --sparsity=enable lets TensorRT pick")
          .append(" sparse tensor-core kernels for them.")
          .append(nl);
    }
    s.append("set -eu").append(nl);
    s.append("cd \"$(dirname \"$0\")\"").append(nl);
    s.append("TRTEXEC=\"${TRTEXEC:-trtexec}\"").append(nl).append(nl);
    s.append("# TensorRT 10.x (JetPack 6): precision through builder flags.").append(nl);
    s.append("\"$TRTEXEC\"");
    for (String arg : arguments10()) {
      s.append(" \\").append(nl).append("  ").append(quote(arg));
    }
    s.append(" \\").append(nl).append("  \"$@\"").append(nl).append(nl);
    s.append(
            "# TensorRT 11.x drops the --int8/--fp16 builder flags: networks are strongly typed and take")
        .append(nl);
    s.append(
            "# their precision from the model (the Q/DQ nodes; FP16 needs a model with FP16 types).")
        .append(nl);
    List<String> typed = new ArrayList<>();
    typed.add("--onnx=" + modelFile);
    typed.add("--stronglyTyped");
    if (sparseLayers > 0) {
      typed.add("--sparsity=enable");
    }
    typed.addAll(shapeArguments());
    typed.add("--saveEngine=" + ENGINE);
    typed.add("--timingCacheFile=" + TIMING_CACHE);
    s.append("# \"$TRTEXEC\"");
    typed.forEach(t -> s.append(' ').append(quote(t)));
    s.append(nl);
    if (calibrationCache != null) {
      s.append(nl)
          .append(
              "# Implicit quantization instead (TensorRT 10.x only, deprecated): build the FP32 model with")
          .append(nl);
      s.append("# the calibration cache written from calibration.json:").append(nl);
      s.append("# \"$TRTEXEC\" --onnx=FP32_MODEL.onnx --int8 --calib=")
          .append(quote(calibrationCache))
          .append(" --saveEngine=")
          .append(ENGINE)
          .append(nl);
    }
    return s.toString();
  }

  /** Returns {@code arg} quoted for a POSIX shell when it needs it. */
  static String quote(String arg) {
    if (arg.matches("[A-Za-z0-9_./=:,+@%-]+")) {
      return arg;
    }
    return "'" + arg.replace("'", "'\\''") + "'";
  }

  /** Writes the script atomically as an executable file (mode 755 where the file system has POSIX modes). */
  public void write(Path file) throws IOException {
    AtomicFiles.writeExecutable(file, render());
  }
}
