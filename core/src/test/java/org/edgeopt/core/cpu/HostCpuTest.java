package org.edgeopt.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.edgeopt.core.targets.TargetProfile;
import org.edgeopt.core.targets.TargetProfiles;
import org.junit.jupiter.api.Test;

class HostCpuTest {
  static final HostCpu ZEN1 =
      HostCpu.of("AMD EPYC 7601", "amd64", List.of("sse4_1", "avx", "avx2", "fma", "f16c", "aes"));
  static final HostCpu SKYLAKE_SP =
      HostCpu.of("Xeon Gold 6148", "amd64", List.of("avx2", "avx512f", "avx512bw"));
  static final HostCpu ZEN4 =
      HostCpu.of("AMD EPYC 9R14", "amd64", List.of("avx2", "avx512f", "avx512bw", "avx512_vnni"));
  static final HostCpu ALDER_LAKE =
      HostCpu.of("Core i7-12700", "amd64", List.of("avx2", "avx_vnni"));
  static final HostCpu SAPPHIRE_RAPIDS =
      HostCpu.of("Xeon 8480", "amd64", List.of("avx512_vnni", "amx_tile", "amx_int8"));
  static final HostCpu GRAVITON = HostCpu.of("Neoverse-N1", "aarch64", List.of("asimd", "asimddp"));

  @Test
  void kernelFamilyFollowsTheFlagsMlasDispatchesOn() {
    assertEquals(Int8Kernel.X86_SATURATING_PAIRS, ZEN1.int8Kernel());
    assertEquals(
        Int8Kernel.X86_SATURATING_PAIRS,
        SKYLAKE_SP.int8Kernel(),
        "AVX-512BW without VNNI still pairs");
    assertEquals(Int8Kernel.X86_VNNI, ZEN4.int8Kernel());
    assertEquals(Int8Kernel.X86_VNNI, ALDER_LAKE.int8Kernel());
    assertEquals(Int8Kernel.X86_AMX, SAPPHIRE_RAPIDS.int8Kernel());
    assertEquals(Int8Kernel.ARM64, GRAVITON.int8Kernel());
    assertTrue(ZEN1.int8Kernel().saturatesPairs());
    assertFalse(
        ZEN4.int8Kernel().saturatesPairs()
            || GRAVITON.int8Kernel().saturatesPairs()
            || SAPPHIRE_RAPIDS.int8Kernel().saturatesPairs());
  }

  @Test
  void onlyFlagsThatSelectKernelsAreKept() {
    assertEquals(List.of("avx", "avx2", "f16c", "fma", "sse4_1"), ZEN1.flags());
    assertTrue(ZEN1.describe().contains("avx2"), ZEN1.describe());
  }

  @Test
  void theCurrentHostIsDescribed() {
    HostCpu h = HostCpu.current();
    assertFalse(h.model().isBlank());
    assertFalse(h.arch().isBlank());
  }

  @Test
  void profilesNameTheHostsThatDoNotRunTheirKernels() throws Exception {
    TargetProfile vnni = TargetProfiles.get("onnxruntime-x86-vnni");
    TargetProfile portable = TargetProfiles.get("onnxruntime-cpu");
    TargetProfile arm = TargetProfiles.get("onnxruntime-arm64");
    assertTrue(vnni.cpuMismatch(ZEN1).contains("avx512_vnni"), vnni.cpuMismatch(ZEN1));
    assertTrue(vnni.cpuMismatch(SKYLAKE_SP).contains("none of them"));
    assertEquals("", vnni.cpuMismatch(ZEN4));
    assertEquals("", vnni.cpuMismatch(ALDER_LAKE));
    assertTrue(vnni.cpuMismatch(GRAVITON).contains("x86_64"));
    for (HostCpu h : List.of(ZEN1, SKYLAKE_SP, ZEN4, GRAVITON)) {
      assertEquals("", portable.cpuMismatch(h), "the portable profile runs anywhere");
    }
    assertEquals("", arm.cpuMismatch(GRAVITON));
    assertTrue(arm.cpuMismatch(ZEN4).contains("aarch64"));
  }

  @Test
  void weightRangesAreProfileData() throws Exception {
    assertEquals(64, TargetProfiles.get("onnxruntime-cpu").weightQuantMax());
    assertEquals(127, TargetProfiles.get("onnxruntime-cpu").depthwiseWeightQuantMax());
    assertEquals(127, TargetProfiles.get("onnxruntime-x86-vnni").weightQuantMax());
    assertEquals(127, TargetProfiles.get("onnxruntime-arm64").weightQuantMax());
    assertEquals("int8", TargetProfiles.get("onnxruntime-arm64").activationType());
    for (String n : List.of("edgetpu", "tensorrt-ampere", "tensorrt-jetson-orin")) {
      assertEquals(127, TargetProfiles.get(n).weightQuantMax(), n);
      assertFalse(TargetProfiles.get(n).assumedIsa().isEmpty(), n);
    }
    for (TargetProfile p : TargetProfiles.builtIn().values()) {
      assertFalse(p.int8Speedup().isEmpty(), p.name() + " says what INT8 buys");
    }
  }
}
