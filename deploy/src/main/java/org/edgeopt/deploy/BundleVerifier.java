package org.edgeopt.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.Hashes;

/**
 * Checks a bundle before a device applies it: the manifest's Ed25519 signature under the given
 * public key, every file against the manifest's SHA-256 (none missing, none extra), and the
 * archive against its canonical encoding, so that a changed byte anywhere is caught.
 *
 * <p>Every failure is an {@link EdgeoptException} with exit code 3 whose message names the
 * bundle and the file at fault.
 */
public final class BundleVerifier {
  private BundleVerifier() {}

  /**
   * What a successful verification established.
   *
   * @param manifest the signed manifest
   * @param keyId the id of the key that signed it
   * @param entries the number of entries checked
   */
  public record Verified(Manifest manifest, String keyId, int entries) {}

  /**
   * Verifies {@code bundle} with {@code key}.
   *
   * @throws EdgeoptException (exit 3) naming the file when anything does not match
   */
  public static Verified verify(Path bundle, PublicKey key) throws EdgeoptException {
    byte[] archive;
    try {
      archive = Files.readAllBytes(bundle);
    } catch (IOException e) {
      throw EdgeoptException.invalid(bundle + ": cannot read the bundle: " + e.getMessage(), e);
    }
    try {
      return verify(archive, key);
    } catch (BundleException e) {
      throw EdgeoptException.invalid(
          bundle + (e.entry() == null ? "" : ": " + e.entry()) + ": " + e.getMessage());
    }
  }

  /** Verifies the bytes of a bundle. */
  static Verified verify(byte[] archive, PublicKey key) throws BundleException {
    SortedMap<String, byte[]> entries = BundleArchive.decode(archive);
    byte[] manifestBytes = require(entries, BundlePackager.MANIFEST);
    BundleSignature signature = parse(entries, BundlePackager.SIGNATURE, BundleSignature.class);
    String keyId = SigningKeys.keyId(key);
    if (!SigningKeys.ALGORITHM.equals(signature.algorithm())) {
      throw new BundleException(
          BundlePackager.SIGNATURE,
          "expected an "
              + SigningKeys.ALGORITHM
              + " signature, found '"
              + signature.algorithm()
              + "'");
    }
    if (!BundlePackager.MANIFEST.equals(signature.signed())) {
      throw new BundleException(
          BundlePackager.SIGNATURE,
          "expected a signature of "
              + BundlePackager.MANIFEST
              + ", found one of '"
              + signature.signed()
              + "'");
    }
    if (!keyId.equals(signature.keyId())) {
      throw new BundleException(
          BundlePackager.SIGNATURE,
          "signed by key "
              + shortId(signature.keyId())
              + ", not by the given key "
              + shortId(keyId)
              + ": wrong key, or the signature was changed");
    }
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(signature.signature() == null ? "" : signature.signature());
    } catch (IllegalArgumentException e) {
      throw new BundleException(
          BundlePackager.SIGNATURE, "the signature is not valid base64: " + e.getMessage());
    }
    if (!SigningKeys.verify(key, manifestBytes, sig)) {
      throw new BundleException(
          BundlePackager.MANIFEST,
          "the Ed25519 signature in "
              + BundlePackager.SIGNATURE
              + " does not match: the manifest or its signature was changed after signing");
    }
    Manifest manifest = parse(entries, BundlePackager.MANIFEST, Manifest.class);
    if (!Manifest.FORMAT.equals(manifest.format())) {
      throw new BundleException(
          BundlePackager.MANIFEST,
          "expected bundle format " + Manifest.FORMAT + ", found " + manifest.format());
    }
    for (Map.Entry<String, Manifest.FileEntry> f : manifest.files().entrySet()) {
      byte[] data = entries.get(f.getKey());
      if (data == null) {
        throw new BundleException(f.getKey(), "listed in the manifest but missing from the bundle");
      }
      String sha = Hashes.sha256(data);
      if (!sha.equals(f.getValue().sha256()) || data.length != f.getValue().bytes()) {
        throw new BundleException(
            f.getKey(),
            "SHA-256 "
                + sha
                + " ("
                + data.length
                + " bytes) does not match the manifest's "
                + f.getValue().sha256()
                + " ("
                + f.getValue().bytes()
                + " bytes): the file was changed");
      }
    }
    TreeSet<String> extra = new TreeSet<>(entries.keySet());
    extra.removeAll(manifest.files().keySet());
    extra.remove(BundlePackager.MANIFEST);
    extra.remove(BundlePackager.SIGNATURE);
    if (!extra.isEmpty()) {
      throw new BundleException(extra.first(), "is in the bundle but not in its signed manifest");
    }
    BundleArchive.Layout canonical = BundleArchive.encode(entries);
    int diff = firstDifference(canonical.bytes(), archive);
    if (diff >= 0) {
      throw new BundleException(
          null,
          "byte "
              + diff
              + " (in "
              + canonical.describe(diff)
              + ") differs from the canonical bundle encoding: the archive was changed");
    }
    return new Verified(manifest, keyId, entries.size());
  }

  private static byte[] require(SortedMap<String, byte[]> entries, String name)
      throws BundleException {
    byte[] b = entries.get(name);
    if (b == null) {
      throw new BundleException(
          name,
          "missing: every bundle holds "
              + BundlePackager.MANIFEST
              + " and "
              + BundlePackager.SIGNATURE);
    }
    return b;
  }

  private static <T> T parse(SortedMap<String, byte[]> entries, String name, Class<T> type)
      throws BundleException {
    try {
      return StableJson.read(require(entries, name), type);
    } catch (IOException e) {
      throw new BundleException(
          name, "is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private static int firstDifference(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return a.length == b.length ? -1 : n;
  }

  private static String shortId(String id) {
    return id == null ? "(none)" : id.substring(0, Math.min(16, id.length()));
  }
}
