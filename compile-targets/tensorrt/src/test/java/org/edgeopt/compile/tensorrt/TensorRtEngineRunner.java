package org.edgeopt.compile.tensorrt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * Runs a serialized TensorRT engine on one float32 input and returns its float32 output, for
 * comparing what the GPU computes with the FP32 reference. Test code: needs a CUDA device.
 */
final class TensorRtEngineRunner {
  private TensorRtEngineRunner() {}

  static float[] run(Path engineFile, String input, long[] dims, float[] values, String output)
      throws IOException {
    Loader.load(nvinfer.class);
    Loader.load(cudart.class);
    TensorRtEngineBuilder.CollectingLogger logger = new TensorRtEngineBuilder.CollectingLogger();
    IRuntime runtime = nvinfer.createInferRuntime(logger);
    byte[] blob = Files.readAllBytes(engineFile);
    BytePointer plan = new BytePointer(blob);
    ICudaEngine engine = runtime.deserializeCudaEngine(plan, blob.length);
    if (engine == null || engine.isNull()) {
      throw new IllegalStateException(
          engineFile + ": TensorRT cannot deserialize the engine: " + logger.errors);
    }
    IExecutionContext context = engine.createExecutionContext();
    Dims64 shape = new Dims64();
    shape.nbDims(dims.length);
    for (int i = 0; i < dims.length; i++) {
      shape.d(i, dims[i]);
    }
    check(context.setInputShape(input, shape), "set the input shape of '" + input + "'");
    Dims64 outShape = context.getTensorShape(output);
    long outCount = 1;
    for (int i = 0; i < outShape.nbDims(); i++) {
      outCount *= outShape.d(i);
    }
    Pointer dIn = new Pointer();
    Pointer dOut = new Pointer();
    cuda(cudart.cudaMalloc(dIn, 4L * values.length), "cudaMalloc");
    cuda(cudart.cudaMalloc(dOut, 4L * outCount), "cudaMalloc");
    try {
      cuda(
          cudart.cudaMemcpy(
              dIn, new FloatPointer(values), 4L * values.length, cudart.cudaMemcpyHostToDevice),
          "copy in");
      check(context.setTensorAddress(input, dIn), "bind '" + input + "'");
      check(context.setTensorAddress(output, dOut), "bind '" + output + "'");
      CUstream_st stream = new CUstream_st();
      cuda(cudart.cudaStreamCreate(stream), "cudaStreamCreate");
      check(context.enqueueV3(stream), "enqueue");
      cuda(cudart.cudaStreamSynchronize(stream), "synchronize");
      FloatPointer host = new FloatPointer(outCount);
      cuda(cudart.cudaMemcpy(host, dOut, 4L * outCount, cudart.cudaMemcpyDeviceToHost), "copy out");
      float[] out = new float[(int) outCount];
      host.get(out);
      return out;
    } finally {
      cudart.cudaFree(dIn);
      cudart.cudaFree(dOut);
      // Keep everything TensorRT calls back into alive until the run is over.
      java.lang.ref.Reference.reachabilityFence(logger);
      java.lang.ref.Reference.reachabilityFence(runtime);
      java.lang.ref.Reference.reachabilityFence(plan);
      java.lang.ref.Reference.reachabilityFence(engine);
      java.lang.ref.Reference.reachabilityFence(context);
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("TensorRT could not " + what);
    }
  }

  private static void cuda(int status, String what) {
    if (status != 0) {
      throw new IllegalStateException(
          what + " failed: " + cudart.cudaGetErrorString(status).getString());
    }
  }
}
