package org.edgeopt.core.cpu;

/**
 * The family of integer kernels ONNX Runtime's MLAS library picks for uint8 x int8 products on a
 * CPU, and whether their arithmetic is exact.
 *
 * <p>The difference that matters: without VNNI, x86 kernels multiply with {@code VPMADDUBSW},
 * which adds two uint8 x int8 products into a <em>saturating</em> int16. With activations near
 * 255 and weights near +-127 that pair sum exceeds 32,767 and is clamped, so the same model
 * computes different integers on an AVX2 server than on a VNNI one. The other families
 * accumulate in int32 and are exact.
 */
public enum Int8Kernel {
  /** AVX-512 VNNI or AVX-VNNI: {@code VPDPBUSD} accumulates four products in int32, exactly. */
  X86_VNNI("VPDPBUSD (AVX-512 VNNI / AVX-VNNI), int32 accumulation", false),
  /** AMX tiles (Sapphire Rapids and later): int32 accumulation, exact. */
  X86_AMX("AMX TDPBUSD tiles, int32 accumulation", false),
  /** AVX2, or AVX-512BW without VNNI: {@code VPMADDUBSW} sums product pairs into a saturating int16. */
  X86_SATURATING_PAIRS(
      "VPMADDUBSW (AVX2 / AVX-512BW without VNNI), pairs of products saturate at int16", true),
  /** ARM64 NEON dot products ({@code SDOT}/{@code UDOT}) or widening multiplies: exact. */
  ARM64("ARM64 NEON (SDOT/UDOT or widening multiply), int32 accumulation", false),
  /** Any other CPU: ONNX Runtime's portable C++ kernels, int32 accumulation, exact. */
  PORTABLE("portable C++ kernels, int32 accumulation", false);

  private final String description;
  private final boolean saturatesPairs;

  Int8Kernel(String description, boolean saturatesPairs) {
    this.description = description;
    this.saturatesPairs = saturatesPairs;
  }

  /** Returns what the kernel does, in a few words, for reports. */
  public String description() {
    return description;
  }

  /** Returns whether a pair of uint8 x int8 products is clamped to int16 before accumulation. */
  public boolean saturatesPairs() {
    return saturatesPairs;
  }
}
