package org.edgeopt.spark;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.edgeopt.core.io.Hashes;

/**
 * A hash of the multiset of samples fed, the same whatever the partitioning and the order: the sum
 * modulo 2^256 of the SHA-256 of every preprocessed float32 sample (little-endian), which
 * partitions add up independently (an additive multiset hash, as Clarke et al.'s MSet-Add-Hash),
 * then SHA-256 of that sum under a version tag. Used as the data hash of sources read by Spark,
 * where no single file stands for the data.
 */
final class SampleSetHash {
  /** Bytes in a partial sum. */
  static final int BYTES = 32;

  private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(256);
  private static final String TAG = "edgeopt sample multiset v1\n";

  private final MessageDigest digest = Hashes.sha256();
  private BigInteger sum = BigInteger.ZERO;

  /** Adds one sample: {@code n} floats of {@code values} from {@code offset}. */
  void add(float[] values, int offset, int n) {
    ByteBuffer b = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values, offset, n);
    sum = sum.add(new BigInteger(1, digest.digest(b.array()))).mod(MODULUS);
  }

  /** Returns the partial sum as 32 big-endian bytes. */
  byte[] partial() {
    return toBytes(sum);
  }

  /** Returns the sum of partial sums. */
  static byte[] add(byte[] a, byte[] b) {
    return toBytes(new BigInteger(1, a).add(new BigInteger(1, b)).mod(MODULUS));
  }

  /** Returns the hash, in hex, of a complete sum. */
  static String finish(byte[] sum) {
    MessageDigest d = Hashes.sha256();
    d.update(TAG.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    d.update(sum);
    return HexFormat.of().formatHex(d.digest());
  }

  private static byte[] toBytes(BigInteger v) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[BYTES];
    int n = Math.min(raw.length, BYTES);
    System.arraycopy(raw, raw.length - n, out, BYTES - n, n);
    return out;
  }
}
