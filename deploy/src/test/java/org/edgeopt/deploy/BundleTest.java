package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.SortedMap;
import java.util.TreeMap;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed bundles: reproducible bytes, and every tampering, missing or extra file and wrong key caught. */
class BundleTest {
  @TempDir static Path dir;
  static PackageRequest request;
  static Path bundle;
  static PublicKey key;

  @BeforeAll
  static void pack() throws Exception {
    request = TinyBundle.request(dir);
    bundle = dir.resolve("tiny.bundle.zip");
    BundlePackager.write(request, bundle);
    key = SigningKeys.readPublic(dir.resolve("keys").resolve(SigningKeys.PUBLIC_FILE));
  }

  @Test
  void packagingTwiceGivesIdenticalBytes() throws Exception {
    Path again = dir.resolve("again.zip");
    BundlePackager.write(request, again);
    assertArrayEquals(Files.readAllBytes(bundle), Files.readAllBytes(again));
  }

  @Test
  void aBundleVerifiesWithItsKeyAndCarriesTheBaseline() throws Exception {
    BundleVerifier.Verified v = BundleVerifier.verify(bundle, key);
    assertEquals("tiny", v.manifest().model().name());
    assertEquals("onnxruntime-cpu", v.manifest().target().profile());
    assertEquals("x", v.manifest().io().inputs().get(0).name());
    assertTrue(v.manifest().files().containsKey(BundlePackager.BASELINE));
    Baseline baseline =
        StableJson.read(
            BundleArchive.decode(Files.readAllBytes(bundle)).get(BundlePackager.BASELINE),
            Baseline.class);
    // The identity model predicts argmax of the features: 0,1,2,0,1,0 against labels 0,1,2,2,1,1.
    assertEquals(6, baseline.samples());
    assertEquals(4, baseline.correct());
    assertEquals(java.util.List.of(3L, 2L, 1L), baseline.predictedClassCounts());
  }

  @Test
  void everySingleByteChangeIsCaught() throws Exception {
    byte[] good = Files.readAllBytes(bundle);
    assertTrue(good.length < 8000, "keep the bundle tiny: " + good.length + " bytes");
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= (byte) 0x01;
      try {
        BundleVerifier.verify(bad, key);
        fail("flipping byte " + i + " of " + good.length + " went unnoticed");
      } catch (BundleException expected) {
        // caught, as it must be
      }
    }
    // The same through the public entry point: exit code 3, naming the file.
    Path tampered = dir.resolve("tampered.zip");
    byte[] bad = good.clone();
    int at = indexOf(good, "\"samples\"".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    bad[at + 12] ^= 0x01;
    Files.write(tampered, bad);
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> BundleVerifier.verify(tampered, key));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains(BundlePackager.BASELINE), e.getMessage());
  }

  @Test
  void aWrongKeyIsRefused() throws Exception {
    PublicKey other = SigningKeys.generate().getPublic();
    EdgeoptException e =
        assertThrows(EdgeoptException.class, () -> BundleVerifier.verify(bundle, other));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertTrue(e.getMessage().contains("not by the given key"), e.getMessage());
  }

  @Test
  void missingAndExtraFilesAreNamed() throws Exception {
    SortedMap<String, byte[]> entries = BundleArchive.decode(Files.readAllBytes(bundle));
    SortedMap<String, byte[]> missing = new TreeMap<>(entries);
    missing.remove("model/model.onnx");
    BundleException m =
        assertThrows(
            BundleException.class,
            () -> BundleVerifier.verify(BundleArchive.encode(missing).bytes(), key));
    assertEquals("model/model.onnx", m.entry());
    SortedMap<String, byte[]> extra = new TreeMap<>(entries);
    extra.put("model/backdoor.so", new byte[] {1});
    BundleException x =
        assertThrows(
            BundleException.class,
            () -> BundleVerifier.verify(BundleArchive.encode(extra).bytes(), key));
    assertEquals("model/backdoor.so", x.entry());
  }

  @Test
  void theDerivedPublicKeyIsTheKeyPairsOwn() throws Exception {
    assertEquals(
        SigningKeys.keyId(key),
        SigningKeys.keyId(SigningKeys.publicOf(SigningKeys.readPrivate(request.signingKey()))));
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
