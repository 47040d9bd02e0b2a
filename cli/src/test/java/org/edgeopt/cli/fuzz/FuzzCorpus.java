package org.edgeopt.cli.fuzz;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Mutates sample models, data sets and pipeline configs deterministically: case {@code i} of
 * seed {@code s} is always the same bytes, so a failing case can be replayed alone.
 */
final class FuzzCorpus {
  /** What a case mutates. */
  enum Kind {
    MODEL,
    DATASET,
    CONFIG
  }

  /** One generated case: the edgeopt command line to run and what it was made from. */
  record Case(int index, Kind kind, String mutation, List<String> args, Path outputDir) {
    String describe() {
      return "case "
          + index
          + " ("
          + kind
          + ", "
          + mutation
          + "): edgeopt "
          + String.join(" ", args);
    }
  }

  /** A base model with what commands need to run on it. */
  record Base(
      String name, Path model, Path calibrationTable, Path holdout, String preprocess, Path data) {}

  private static final long[] DIMS = {0, -1, -7, 1L << 40, Integer.MAX_VALUE, 3, 1};
  private static final long[] OPSETS = {0, 1, 6, 11, 13, 17, 21, 99, 1000};
  private static final long[] IR = {0, 1, 3, 7, 10, 11, 13, 99, -1};
  private static final String[] OPS = {
    "Conv", "Relu", "FooBar", "Gemm", "Identity", "Reshape", "QuantizeLinear", "", "Loop", "Softmax"
  };
  private static final String[] EXTERNAL = {
    "missing.bin", "../../../../etc/passwd", "/etc/passwd", "w.bin", "", "sub/../w.bin", "w.bin\0x"
  };
  private static final String[] CELLS = {
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e400",
    "",
    "x",
    "2.5",
    "-1",
    "99999999999",
    "0x10",
    " 3 ",
    "\"",
    "1,2"
  };

  private final long seed;
  private final List<Base> models;
  private final Base csvBase;
  private final Path work;

  FuzzCorpus(long seed, List<Base> models, Base csvBase, Path work) {
    this.seed = seed;
    this.models = List.copyOf(models);
    this.csvBase = csvBase;
    this.work = work;
  }

  /** Writes the inputs of case {@code i} under the work folder and returns its command line. */
  Case generate(int i) throws IOException {
    Random r = new Random(seed * 1_000_003L + i);
    Path dir = Files.createDirectories(work.resolve("case-" + i));
    Path out = dir.resolve("out");
    int k = r.nextInt(100);
    if (k < 75) {
      return modelCase(i, r, dir, out);
    } else if (k < 92) {
      return datasetCase(i, r, dir, out);
    }
    return configCase(i, r, dir, out);
  }

  // ---- models ------------------------------------------------------------------------------

  private Case modelCase(int i, Random r, Path dir, Path out) throws IOException {
    Base b = models.get(r.nextInt(models.size()));
    byte[] bytes = Files.readAllBytes(b.model());
    Path m = dir.resolve("model.onnx");
    String mutation;
    int kind = r.nextInt(13);
    if (kind == 0) {
      int flips = 1 + r.nextInt(16);
      for (int f = 0; f < flips; f++) {
        int at = r.nextInt(bytes.length);
        bytes[at] ^= (byte) (1 << r.nextInt(8));
      }
      mutation = b.name() + ": " + flips + " bit flips";
      Files.write(m, bytes);
    } else if (kind == 1) {
      int len = r.nextInt(bytes.length);
      mutation = b.name() + ": truncated to " + len + " of " + bytes.length + " bytes";
      Files.write(m, java.util.Arrays.copyOf(bytes, len));
    } else {
      OnnxMl.ModelProto.Builder mb = OnnxMl.ModelProto.parseFrom(bytes).toBuilder();
      mutation = b.name() + ": " + structural(kind, r, mb, dir);
      Files.write(m, mb.build().toByteArray());
    }
    List<String> args = new ArrayList<>();
    int cmd = r.nextInt(10);
    if (cmd < 4 || b.holdout() == null) {
      args.addAll(List.of("ingest", m.toString(), "-o", out.toString()));
      if (cmd >= 4) {
        args.addAll(List.of("-t", "edgetpu"));
      }
    } else if (cmd < 6) {
      args.addAll(
          List.of(
              "compile",
              m.toString(),
              "--target",
              r.nextBoolean() ? "onnxruntime-cpu" : "tensorrt-ampere",
              "-o",
              out.toString()));
    } else if (cmd < 8) {
      args.addAll(
          List.of(
              "quantize",
              m.toString(),
              "--calibration",
              b.calibrationTable().toString(),
              "-o",
              out.resolve("model.int8.onnx").toString()));
    } else {
      args.addAll(
          List.of(
              "validate",
              "--reference",
              b.model().toString(),
              "--candidate",
              m.toString(),
              "--holdout",
              b.holdout().toString(),
              "--preprocess",
              b.preprocess(),
              "--limit",
              "16",
              "--latency-runs",
              "0",
              "--diagnosis-batches",
              "0",
              "--report",
              out.toString()));
    }
    args.add("-q");
    return new Case(i, Kind.MODEL, mutation, args, out);
  }

  private String structural(int kind, Random r, OnnxMl.ModelProto.Builder mb, Path dir)
      throws IOException {
    OnnxMl.GraphProto.Builder g = mb.getGraphBuilder();
    switch (kind) {
      case 2 -> {
        List<OnnxMl.ValueInfoProto.Builder> vs = new ArrayList<>();
        vs.addAll(g.getInputBuilderList());
        vs.addAll(g.getOutputBuilderList());
        vs.addAll(g.getValueInfoBuilderList());
        OnnxMl.ValueInfoProto.Builder v = vs.get(r.nextInt(vs.size()));
        OnnxMl.TensorShapeProto.Builder s =
            v.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        if (s.getDimCount() == 0) {
          s.addDimBuilder().setDimValue(DIMS[r.nextInt(DIMS.length)]);
          return "extra dimension on " + v.getName();
        }
        int d = r.nextInt(s.getDimCount());
        long val = DIMS[r.nextInt(DIMS.length)];
        s.getDimBuilder(d).setDimValue(val);
        return "dimension " + d + " of " + v.getName() + " = " + val;
      }
      case 3 -> {
        OnnxMl.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
        if (t.getDimsCount() == 0) {
          t.addDims(DIMS[r.nextInt(DIMS.length)]);
          return "initializer " + t.getName() + " gains a dimension";
        }
        int d = r.nextInt(t.getDimsCount());
        long val = r.nextBoolean() ? DIMS[r.nextInt(DIMS.length)] : t.getDims(d) * 2;
        t.setDims(d, val);
        return "initializer " + t.getName() + " dimension " + d + " = " + val;
      }
      case 4 -> {
        OnnxMl.NodeProto.Builder n = g.getNodeBuilder(r.nextInt(g.getNodeCount()));
        if (n.getAttributeCount() == 0) {
          n.addAttributeBuilder()
              .setName("axis")
              .setType(OnnxMl.AttributeProto.AttributeType.INT)
              .setI(r.nextInt(9) - 4);
          return "node " + n.getName() + " gains attribute axis";
        }
        int a = r.nextInt(n.getAttributeCount());
        OnnxMl.AttributeProto.Builder at = n.getAttributeBuilder(a);
        int how = r.nextInt(4);
        if (how == 0) {
          n.removeAttribute(a);
          return "node " + n.getName() + " loses attribute " + at.getName();
        } else if (how == 1 && at.getIntsCount() > 0) {
          int j = r.nextInt(at.getIntsCount());
          long v = DIMS[r.nextInt(DIMS.length)];
          at.setInts(j, v);
          return "node " + n.getName() + " attribute " + at.getName() + "[" + j + "] = " + v;
        } else if (how == 2) {
          at.setType(
              OnnxMl.AttributeProto.AttributeType.forNumber(r.nextInt(15)) == null
                  ? OnnxMl.AttributeProto.AttributeType.STRING
                  : OnnxMl.AttributeProto.AttributeType.forNumber(r.nextInt(15)));
          return "node " + n.getName() + " attribute " + at.getName() + " type " + at.getType();
        }
        long v = new long[] {-1, 0, 1L << 31, 1000, -100}[r.nextInt(5)];
        at.setI(v).setType(OnnxMl.AttributeProto.AttributeType.INT);
        return "node " + n.getName() + " attribute " + at.getName() + " = " + v;
      }
      case 5 -> {
        int type = r.nextInt(21);
        if (r.nextBoolean()) {
          OnnxMl.TensorProto.Builder t =
              g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
          t.setDataType(type);
          return "initializer " + t.getName() + " data type " + type;
        }
        OnnxMl.ValueInfoProto.Builder v = g.getInputBuilder(0);
        v.getTypeBuilder().getTensorTypeBuilder().setElemType(type);
        return "input " + v.getName() + " element type " + type;
      }
      case 6 -> {
        long v = OPSETS[r.nextInt(OPSETS.length)];
        if (r.nextInt(4) == 0) {
          mb.getOpsetImportBuilder(0).setDomain("com.example.custom");
          return "opset domain com.example.custom";
        }
        mb.getOpsetImportBuilder(0).setVersion(v);
        return "opset " + v;
      }
      case 7 -> {
        long v = IR[r.nextInt(IR.length)];
        mb.setIrVersion(v);
        return "IR version " + v;
      }
      case 8 -> {
        return rewire(r, g);
      }
      case 9 -> {
        OnnxMl.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
        String loc = EXTERNAL[r.nextInt(EXTERNAL.length)];
        if (loc.contains("w.bin")) {
          Files.write(dir.resolve("w.bin"), new byte[] {1, 2, 3, 4, 5, 6, 7});
        }
        long length = t.getRawData().size();
        t.clearRawData()
            .clearFloatData()
            .clearInt64Data()
            .clearInt32Data()
            .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue(loc))
            .addExternalData(
                OnnxMl.StringStringEntryProto.newBuilder()
                    .setKey("offset")
                    .setValue(String.valueOf(r.nextBoolean() ? 0 : -8 + r.nextInt(1 << 20))))
            .addExternalData(
                OnnxMl.StringStringEntryProto.newBuilder()
                    .setKey("length")
                    .setValue(String.valueOf(r.nextBoolean() ? length : r.nextInt(1 << 30))));
        return "initializer "
            + t.getName()
            + " external data at '"
            + loc.replace("\0", "\\0")
            + "'";
      }
      case 10 -> {
        OnnxMl.NodeProto.Builder n = g.getNodeBuilder(r.nextInt(g.getNodeCount()));
        String op = OPS[r.nextInt(OPS.length)];
        n.setOpType(op);
        return "node " + n.getName() + " op type '" + op + "'";
      }
      case 11 -> {
        OnnxMl.TensorProto.Builder t = g.getInitializerBuilder(r.nextInt(g.getInitializerCount()));
        ByteString raw = t.getRawData();
        if (raw.isEmpty()) {
          t.clearFloatData();
          return "initializer " + t.getName() + " without data";
        }
        int len = r.nextInt(raw.size());
        t.setRawData(raw.substring(0, len));
        return "initializer " + t.getName() + " raw data cut to " + len + " bytes";
      }
      default -> {
        if (r.nextBoolean()) {
          g.clearOutput();
          return "no graph outputs";
        }
        g.clearInput();
        return "no graph inputs";
      }
    }
  }

  private static String rewire(Random r, OnnxMl.GraphProto.Builder g) {
    List<String> names = new ArrayList<>();
    g.getInputList().forEach(v -> names.add(v.getName()));
    g.getInitializerList().forEach(t -> names.add(t.getName()));
    g.getNodeList().forEach(n -> names.addAll(n.getOutputList()));
    int n = r.nextInt(g.getNodeCount());
    OnnxMl.NodeProto.Builder node = g.getNodeBuilder(n);
    switch (r.nextInt(6)) {
      case 0 -> {
        if (node.getInputCount() == 0) {
          node.addInput("missing");
          return "node " + node.getName() + " gains input 'missing'";
        }
        int j = r.nextInt(node.getInputCount());
        String to = r.nextInt(4) == 0 ? "missing" : names.get(r.nextInt(names.size()));
        node.setInput(j, to);
        return "node " + node.getName() + " input " + j + " <- '" + to + "'";
      }
      case 1 -> {
        String to = names.get(r.nextInt(names.size()));
        node.setOutput(0, to);
        return "node "
            + node.getName()
            + " output renamed to '"
            + to
            + "' (a second producer or a cycle)";
      }
      case 2 -> {
        g.removeNode(n);
        return "node " + node.getName() + " removed";
      }
      case 3 -> {
        List<OnnxMl.NodeProto> nodes = new ArrayList<>(g.getNodeList());
        java.util.Collections.reverse(nodes);
        g.clearNode().addAllNode(nodes);
        return "nodes in reverse order";
      }
      case 4 -> {
        g.getOutputBuilder(0).setName(names.get(r.nextInt(names.size())));
        return "graph output points at '" + g.getOutput(0).getName() + "'";
      }
      default -> {
        g.addNode(node.build().toBuilder().setName(node.getName() + "_dup"));
        return "node " + node.getName() + " duplicated";
      }
    }
  }

  // ---- data sets -----------------------------------------------------------------------------

  private Case datasetCase(int i, Random r, Path dir, Path out) throws IOException {
    Path data;
    String mutation;
    if (r.nextBoolean()) {
      List<String> lines =
          new ArrayList<>(
              Files.readAllLines(csvBase.data(), StandardCharsets.UTF_8).subList(0, 40));
      int how = r.nextInt(7);
      switch (how) {
        case 0 -> {
          int row = 1 + r.nextInt(lines.size() - 1);
          String[] cells = lines.get(row).split(",", -1);
          int c = r.nextInt(cells.length);
          cells[c] = CELLS[r.nextInt(CELLS.length)];
          lines.set(row, String.join(",", cells));
          mutation = "csv row " + row + " column " + c + " = '" + cells[c] + "'";
        }
        case 1 -> {
          lines.set(0, lines.get(0).replace("label", r.nextBoolean() ? "lab" : "f64"));
          mutation = "csv without a label column";
        }
        case 2 -> {
          int row = 1 + r.nextInt(lines.size() - 1);
          lines.set(row, lines.get(row) + (r.nextBoolean() ? ",7" : ""));
          lines.set(row, lines.get(row).substring(0, r.nextInt(lines.get(row).length() + 1)));
          mutation = "csv row " + row + " cut or extended";
        }
        case 3 -> {
          lines = lines.subList(0, 1);
          mutation = "csv header only";
        }
        case 4 -> {
          lines.add(1, "");
          lines.add(3, lines.get(0));
          mutation = "csv blank line and repeated header";
        }
        case 5 -> {
          lines.set(0, "\uFEFF" + lines.get(0).replace(",", ";"));
          mutation = "csv with BOM and ';' separators";
        }
        default -> {
          lines.set(0, "f0");
          mutation = "csv header with one column";
        }
      }
      data = dir.resolve("data.csv");
      Files.write(data, lines, StandardCharsets.UTF_8);
    } else {
      data = dir.resolve("x.npy");
      mutation = npy(r, data, dir.resolve("labels.npy"));
    }
    List<String> args = new ArrayList<>();
    if (r.nextBoolean()) {
      args.addAll(
          List.of(
              "calibrate",
              csvBase.model().toString(),
              "--data",
              data.toString(),
              "--preprocess",
              csvBase.preprocess(),
              "--samples",
              "16",
              "-o",
              out.resolve("calibration.json").toString()));
    } else {
      args.addAll(
          List.of(
              "validate",
              "--reference",
              csvBase.model().toString(),
              "--candidate",
              csvBase.model().toString(),
              "--holdout",
              data.toString(),
              "--preprocess",
              csvBase.preprocess(),
              "--limit",
              "16",
              "--latency-runs",
              "0",
              "--diagnosis-batches",
              "0",
              "--report",
              out.toString()));
    }
    args.add("-q");
    return new Case(i, Kind.DATASET, mutation, args, out);
  }

  /** Writes a float32 [n, 64] .npy with int64 labels, then damages one of them. */
  private static String npy(Random r, Path x, Path labels) throws IOException {
    int n = 8 + r.nextInt(8);
    float[] v = new float[n * 64];
    for (int j = 0; j < v.length; j++) {
      v[j] = r.nextInt(17);
    }
    long[] l = new long[n];
    for (int j = 0; j < n; j++) {
      l[j] = r.nextInt(10);
    }
    byte[] xb = npyBytes("<f4", new long[] {n, 64}, floats(v));
    byte[] lb = npyBytes("<i8", new long[] {n}, longs(l));
    String mutation;
    switch (r.nextInt(7)) {
      case 0 -> {
        int at = r.nextInt(Math.min(xb.length, 128));
        xb[at] ^= (byte) (1 << r.nextInt(8));
        mutation = "npy header bit flip at " + at;
      }
      case 1 -> {
        xb = java.util.Arrays.copyOf(xb, r.nextInt(xb.length));
        mutation = "npy truncated to " + xb.length + " bytes";
      }
      case 2 -> {
        xb[8] = (byte) 0xff;
        xb[9] = (byte) 0xff;
        mutation = "npy header length 65535";
      }
      case 3 -> {
        ByteBuffer.wrap(xb, 64 + 4 * r.nextInt(n * 64), 4)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putFloat(Float.NaN);
        mutation = "npy with a NaN";
      }
      case 4 -> {
        lb = npyBytes("<i8", new long[] {n + 3}, longs(new long[n + 3]));
        mutation = "npy labels longer than the samples";
      }
      case 5 -> {
        xb = npyBytes("<f4", new long[] {n, 63}, floats(java.util.Arrays.copyOf(v, n * 63)));
        mutation = "npy with 63 features for a 64-feature model";
      }
      default -> {
        l[0] = r.nextBoolean() ? -1 : 1000;
        lb = npyBytes("<i8", new long[] {n}, longs(l));
        mutation = "npy label " + l[0];
      }
    }
    Files.write(x, xb);
    Files.write(labels, lb);
    return mutation;
  }

  private static byte[] floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  private static byte[] longs(long[] v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long f : v) {
      b.putLong(f);
    }
    return b.array();
  }

  private static byte[] npyBytes(String descr, long[] shape, byte[] raw) {
    StringBuilder s = new StringBuilder("(");
    for (long d : shape) {
      s.append(d).append(", ");
    }
    if (shape.length > 1) {
      s.setLength(s.length() - 2);
    } else {
      s.setLength(s.length() - 1);
    }
    s.append(")");
    String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
    int pad = 64 - (10 + header.length() + 1) % 64;
    header = header + " ".repeat(pad % 64) + "\n";
    ByteBuffer b =
        ByteBuffer.allocate(10 + header.length() + raw.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.US_ASCII));
    b.put(raw);
    return b.array();
  }

  // ---- configs -------------------------------------------------------------------------------

  private Case configCase(int i, Random r, Path dir, Path out) throws IOException {
    List<String> lines =
        new ArrayList<>(
            List.of(
                "model: " + csvBase.model(),
                "target: onnxruntime-cpu",
                "precision: int8",
                "preprocess: \"" + csvBase.preprocess() + "\"",
                "calibration:",
                "  data: " + csvBase.data(),
                "  method: minmax",
                "  samples: 16",
                "holdout:",
                "  data: " + csvBase.holdout(),
                "  samples: 16",
                "gate:",
                "  maxTop1Drop: 100.0",
                "  minAgreement: 0.0",
                "output: " + out));
    int row = r.nextInt(lines.size());
    String mutation;
    switch (r.nextInt(9)) {
      case 0 -> {
        mutation = "line removed: " + lines.remove(row);
      }
      case 1 -> {
        String l = lines.get(row);
        String v =
            new String[] {"abc", "1.5", "-1", "null", "[]", "{}", "''", "1e309", "99999999999"}
                [r.nextInt(9)];
        lines.set(row, l.contains(":") ? l.substring(0, l.indexOf(':') + 1) + " " + v : l + v);
        mutation = "value replaced: " + lines.get(row).strip();
      }
      case 2 -> {
        lines.add(row, lines.get(row));
        mutation = "duplicate key: " + lines.get(row).strip();
      }
      case 3 -> {
        lines.add(row, "  unknownKey: 1");
        mutation = "unknown key at line " + row;
      }
      case 4 -> {
        lines.set(row, "\t" + lines.get(row));
        mutation = "tab indentation at line " + row;
      }
      case 5 -> {
        lines = List.of(r.nextBoolean() ? "" : "- just\n- a list");
        mutation = "empty or a list";
      }
      case 6 -> {
        lines.set(
            1,
            "target: "
                + new String[] {"nope", "edgetpu", "tensorrt-ampere", "/etc/passwd", ""}
                    [r.nextInt(5)]);
        mutation = lines.get(1);
      }
      case 7 -> {
        lines.set(
            2, "precision: " + new String[] {"fp16", "int4", "INT8", "", "fp32"}[r.nextInt(5)]);
        mutation = lines.get(2);
      }
      default -> {
        lines.set(row, lines.get(row).replace(":", ""));
        mutation = "colon removed at line " + row;
      }
    }
    Path config = dir.resolve("edgeopt.yaml");
    Files.write(config, lines, StandardCharsets.UTF_8);
    return new Case(i, Kind.CONFIG, mutation, List.of("run", config.toString(), "-q"), out);
  }
}
