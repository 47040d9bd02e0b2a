package org.edgeopt.compile.tensorrt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.edgeopt.core.io.AtomicFiles;

/**
 * Builds a serialized TensorRT engine in this JVM through the bytedeco TensorRT 10 presets:
 * parse the ONNX file, set the precision and sparsity flags of the recipe, serialize the plan
 * and the timing cache.
 *
 * <p>This is the only class that touches TensorRT classes, whose static initializers load the
 * native libraries: callers probe {@link TensorRtEnvironment} first, and the JVM never loads
 * this class on a machine without them.
 */
final class TensorRtEngineBuilder {
  private TensorRtEngineBuilder() {}

  /** Collects TensorRT's log, keeping errors for the exception message. */
  static final class CollectingLogger extends ILogger {
    final List<String> errors = new ArrayList<>();

    @Override
    public void log(Severity severity, String msg) {
      if (severity.value <= Severity.kERROR.value) {
        synchronized (errors) {
          errors.add(msg);
        }
      }
    }
  }

  /**
   * Builds {@code recipe}'s engine from {@code onnx} into {@code engine}, reading and updating
   * the timing cache {@code timingCache}.
   *
   * @throws EdgeoptException exit 5 when TensorRT or a CUDA device cannot be used here, exit 3
   *     when TensorRT rejects the model
   */
  static void build(Path onnx, TrtexecRecipe recipe, Path engine, Path timingCache)
      throws EdgeoptException {
    try {
      Loader.load(nvinfer.class);
      Loader.load(nvonnxparser.class);
      Loader.load(cudart.class);
    } catch (Throwable t) {
      // UnsatisfiedLinkError and friends: a library is there but does not load (wrong version, no
      // GPU driver).
      throw new EdgeoptException(
          ExitCode.INCOMPATIBLE,
          "cannot load TensorRT here: "
              + firstLine(t)
              + "; build the engine on the device with "
              + onnx.resolveSibling("trtexec.sh")
              + " instead",
          t);
    }
    int[] devices = {0};
    int status = cudart.cudaGetDeviceCount(devices);
    if (status != 0 || devices[0] == 0) {
      String why = status != 0 ? cudart.cudaGetErrorString(status).getString() : "no CUDA device";
      throw new EdgeoptException(
          ExitCode.INCOMPATIBLE,
          "cannot build a TensorRT engine here: "
              + why
              + "; build it on the device with "
              + onnx.resolveSibling("trtexec.sh")
              + " instead");
    }
    CollectingLogger logger = new CollectingLogger();
    // TensorRT 10 objects are freed by C++ delete, which these presets do not expose; a build
    // runs once per process, so they are left to process exit.
    IBuilder builder = nvinfer.createInferBuilder(logger);
    if (builder == null || builder.isNull()) {
      throw new EdgeoptException(
          ExitCode.INCOMPATIBLE, "TensorRT could not create a builder: " + logger.errors);
    }
    INetworkDefinition network = builder.createNetworkV2(0);
    IParser parser = nvonnxparser.createParser(network, logger);
    if (!parser.parseFromFile(onnx.toString(), ILogger.Severity.kWARNING.value)) {
      List<String> errors = new ArrayList<>();
      for (int i = 0; i < parser.getNbErrors(); i++) {
        errors.add(parser.getError(i).desc());
      }
      throw EdgeoptException.invalid(
          onnx + ": TensorRT's ONNX parser rejects the model: " + String.join("; ", errors));
    }
    IBuilderConfig config = builder.createBuilderConfig();
    if (recipe.precision().equals("int8")) {
      config.setFlag(nvinfer.BuilderFlag.kINT8);
    }
    if (recipe.precision().equals("fp16") || recipe.fp16Fallback()) {
      config.setFlag(nvinfer.BuilderFlag.kFP16);
    }
    if (recipe.sparseLayers() > 0) {
      config.setFlag(nvinfer.BuilderFlag.kSPARSE_WEIGHTS);
    }
    if (!recipe.shapes().stream().allMatch(InputShape::isStatic)) {
      IOptimizationProfile profile = builder.createOptimizationProfile();
      for (InputShape s : recipe.shapes()) {
        boolean ok =
            profile.setDimensions(s.name(), nvinfer.OptProfileSelector.kMIN, dims(s.min()))
                && profile.setDimensions(s.name(), nvinfer.OptProfileSelector.kOPT, dims(s.opt()))
                && profile.setDimensions(s.name(), nvinfer.OptProfileSelector.kMAX, dims(s.max()));
        if (!ok) {
          throw EdgeoptException.invalid(
              onnx + ": TensorRT rejects the shapes " + s + " of input '" + s.name() + "'");
        }
      }
      config.addOptimizationProfile(profile);
    }
    try {
      byte[] old = Files.isRegularFile(timingCache) ? Files.readAllBytes(timingCache) : new byte[0];
      BytePointer blob = new BytePointer(Math.max(1, old.length));
      blob.put(old);
      ITimingCache cache = config.createTimingCache(blob, old.length);
      config.setTimingCache(cache, false);
      IHostMemory plan = builder.buildSerializedNetwork(network, config);
      if (plan == null || plan.isNull() || plan.size() == 0) {
        throw EdgeoptException.invalid(
            onnx + ": TensorRT could not build the engine: " + String.join("; ", logger.errors));
      }
      AtomicFiles.write(engine, bytes(plan.data(), plan.size()));
      IHostMemory timing = config.getTimingCache().serialize();
      AtomicFiles.write(timingCache, bytes(timing.data(), timing.size()));
    } catch (IOException e) {
      throw new EdgeoptException(
          ExitCode.INTERNAL, "cannot write the engine to " + engine + ": " + e.getMessage(), e);
    } finally {
      // TensorRT calls back into the logger until the build returns: keep it (and what holds it)
      // alive.
      java.lang.ref.Reference.reachabilityFence(logger);
      java.lang.ref.Reference.reachabilityFence(parser);
      java.lang.ref.Reference.reachabilityFence(network);
      java.lang.ref.Reference.reachabilityFence(builder);
    }
  }

  private static Dims64 dims(long[] d) {
    Dims64 out = new Dims64();
    out.nbDims(d.length);
    for (int i = 0; i < d.length; i++) {
      out.d(i, d[i]);
    }
    return out;
  }

  private static byte[] bytes(Pointer data, long size) {
    byte[] b = new byte[Math.toIntExact(size)];
    new BytePointer(data).capacity(size).limit(size).get(b);
    return b;
  }

  private static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    return t.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }
}
