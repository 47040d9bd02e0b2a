package org.edgeopt.core.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU a run happens on: its model name, architecture, the instruction-set flags that decide
 * which integer kernels ONNX Runtime uses, and so the {@link Int8Kernel} family.
 *
 * <p>Read once from {@code /proc/cpuinfo} on Linux; elsewhere only the architecture is known and
 * the kernel family is taken as exact.
 *
 * @param model the CPU model name, e.g. {@code AMD EPYC 7763 64-Core Processor}
 * @param arch the JVM's architecture name, e.g. {@code amd64} or {@code aarch64}
 * @param flags the instruction-set flags relevant to integer kernels that the CPU reports
 * @param int8Kernel the kernel family ONNX Runtime picks for uint8 x int8 products here
 */
public record HostCpu(String model, String arch, List<String> flags, Int8Kernel int8Kernel) {

  /** The flags worth recording beside a figure: the ones that select integer or float kernels. */
  static final Set<String> RELEVANT_FLAGS =
      Set.of(
          "sse4_1",
          "avx",
          "avx2",
          "fma",
          "f16c",
          "avx512f",
          "avx512bw",
          "avx512vl",
          "avx512_vnni",
          "avx_vnni",
          "avx512_bf16",
          "avx512_fp16",
          "amx_tile",
          "amx_int8",
          "amx_bf16",
          "asimd",
          "asimddp",
          "i8mm",
          "sve",
          "sve2");

  private static volatile HostCpu current;

  public HostCpu {
    flags = List.copyOf(flags);
  }

  /** Returns the CPU this JVM runs on (detected once). */
  public static HostCpu current() {
    HostCpu h = current;
    if (h == null) {
      h = detect();
      current = h;
    }
    return h;
  }

  /** Returns a host described by its architecture and flags, the way {@link #current()} reads them. */
  public static HostCpu of(String model, String arch, List<String> cpuFlags) {
    TreeSet<String> relevant = new TreeSet<>();
    for (String f : cpuFlags) {
      String lower = f.toLowerCase(Locale.ROOT);
      if (RELEVANT_FLAGS.contains(lower)) {
        relevant.add(lower);
      }
    }
    return new HostCpu(model, arch, List.copyOf(relevant), kernelFor(arch, relevant));
  }

  /** Returns the kernel family MLAS selects for an architecture and its flags. */
  static Int8Kernel kernelFor(String arch, Set<String> flags) {
    String a = arch.toLowerCase(Locale.ROOT);
    if (a.equals("aarch64") || a.equals("arm64")) {
      return Int8Kernel.ARM64;
    }
    if (!(a.equals("amd64") || a.equals("x86_64") || a.equals("x86") || a.equals("i386"))) {
      return Int8Kernel.PORTABLE;
    }
    if (flags.contains("amx_int8") && flags.contains("amx_tile")) {
      return Int8Kernel.X86_AMX;
    }
    if (flags.contains("avx512_vnni") || flags.contains("avx_vnni")) {
      return Int8Kernel.X86_VNNI;
    }
    // SSE4.1, AVX2 and AVX-512BW kernels all multiply u8 x s8 with (V)PMADDUBSW.
    return Int8Kernel.X86_SATURATING_PAIRS;
  }

  /** Returns whether the CPU reports a flag (one of {@link #RELEVANT_FLAGS}). */
  public boolean has(String flag) {
    return flags.contains(flag.toLowerCase(Locale.ROOT));
  }

  /** Returns one line for reports, e.g. {@code AMD EPYC (amd64; avx2 fma f16c)}. */
  public String describe() {
    return model
        + " ("
        + arch
        + "; "
        + (flags.isEmpty() ? "no SIMD flags read" : String.join(" ", flags))
        + ")";
  }

  private static HostCpu detect() {
    String arch = System.getProperty("os.arch", "unknown");
    String model = "unknown CPU";
    List<String> flags = new ArrayList<>();
    Path info = Path.of("/proc/cpuinfo");
    if (Files.isReadable(info)) {
      try {
        for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
          int colon = line.indexOf(':');
          if (colon < 0) {
            continue;
          }
          String key = line.substring(0, colon).trim();
          String value = line.substring(colon + 1).trim();
          if (model.equals("unknown CPU")
              && (key.equals("model name") || key.equals("Hardware") || key.equals("CPU part"))) {
            model = value;
          } else if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) {
            flags.addAll(Arrays.asList(value.split("\\s+")));
          }
        }
      } catch (IOException e) {
        // An unreadable cpuinfo leaves the flags empty: the host is then described as unknown.
      }
    }
    return of(model, arch, flags);
  }
}
