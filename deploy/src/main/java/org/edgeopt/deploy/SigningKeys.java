package org.edgeopt.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.AtomicFiles;
import org.edgeopt.core.io.Hashes;

/**
 * Ed25519 signing keys as PEM files, through the JDK's own JCA provider.
 *
 * <p>Private keys are PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), public keys X.509
 * SubjectPublicKeyInfo ({@code -----BEGIN PUBLIC KEY-----}): the files {@code openssl genpkey
 * -algorithm ed25519} and {@code openssl pkey -pubout} write, so keys can be made, kept and
 * rotated with ordinary tools. Ed25519 signatures are deterministic (RFC 8032), which keeps
 * bundles byte-for-byte reproducible.
 */
public final class SigningKeys {
  /** The JCA name of the signature scheme. */
  public static final String ALGORITHM = "Ed25519";

  /** The private key file {@code keygen} writes. */
  public static final String PRIVATE_FILE = "edgeopt-signing.key";

  /** The public key file {@code keygen} writes. */
  public static final String PUBLIC_FILE = "edgeopt-signing.pub";

  private SigningKeys() {}

  /** Returns a fresh Ed25519 key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is part of every Java 15+ platform", e);
    }
  }

  /**
   * Writes {@code pair} into {@code dir} as {@value #PRIVATE_FILE} (owner-only where the file
   * system has POSIX permissions) and {@value #PUBLIC_FILE}.
   */
  public static void write(KeyPair pair, Path dir) throws EdgeoptException {
    try {
      Files.createDirectories(dir);
      Path priv = dir.resolve(PRIVATE_FILE);
      AtomicFiles.writeString(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      try {
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: its own access rules apply.
      }
      AtomicFiles.writeString(
          dir.resolve(PUBLIC_FILE), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    } catch (IOException e) {
      throw EdgeoptException.invalid(dir + ": cannot write the key pair: " + e.getMessage(), e);
    }
  }

  /** Reads a PKCS#8 PEM Ed25519 private key. */
  public static PrivateKey readPrivate(Path file) throws EdgeoptException {
    byte[] der = der(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw EdgeoptException.invalid(
          file
              + ": expected an Ed25519 private key (PKCS#8 PEM), found another key: "
              + e.getMessage(),
          e);
    }
  }

  /** Reads an X.509 SubjectPublicKeyInfo PEM Ed25519 public key. */
  public static PublicKey readPublic(Path file) throws EdgeoptException {
    byte[] der = der(file, "PUBLIC KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw EdgeoptException.invalid(
          file
              + ": expected an Ed25519 public key (X.509 PEM), found another key: "
              + e.getMessage(),
          e);
    }
  }

  /** Returns the key's id: the hex SHA-256 of its SubjectPublicKeyInfo DER encoding. */
  public static String keyId(PublicKey key) {
    // The SHA-256 of the SubjectPublicKeyInfo DER, as OpenSSH and Sigstore fingerprint keys.
    return Hashes.sha256(key.getEncoded());
  }

  /** Returns the Ed25519 signature of {@code message}. */
  public static byte[] sign(PrivateKey key, byte[] message) throws EdgeoptException {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (InvalidKeyException e) {
      throw EdgeoptException.invalid(
          "the signing key is not an Ed25519 private key: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** Returns whether {@code signature} is {@code key}'s Ed25519 signature of {@code message}. */
  public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (SignatureException | InvalidKeyException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 verification failed to run", e);
    }
  }

  /**
   * Returns the public half of an Ed25519 private key.
   *
   * <p>JCA has no call for this, but an Ed25519 private key is its 32-byte seed and the JDK's
   * generator derives the pair from 32 random bytes, so a generator fed the seed as its
   * "randomness" rebuilds the pair; a signature round trip confirms it.
   */
  public static PublicKey publicOf(PrivateKey key) throws EdgeoptException {
    if (!(key instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty()) {
      throw EdgeoptException.invalid("the signing key is not an Ed25519 private key");
    }
    byte[] seed = ed.getBytes().get();
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(ALGORITHM);
      g.initialize(
          NamedParameterSpec.ED25519,
          new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
              System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
            }
          });
      PublicKey pub = g.generateKeyPair().getPublic();
      if (!matches(key, pub)) {
        throw new IllegalStateException(
            "the JDK's Ed25519 generator no longer derives keys from its seed bytes");
      }
      return pub;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is part of every Java 15+ platform", e);
    }
  }

  /** Returns whether the private and the public key belong together. */
  public static boolean matches(PrivateKey priv, PublicKey pub) throws EdgeoptException {
    byte[] probe = "edgeopt key check".getBytes(StandardCharsets.UTF_8);
    return verify(pub, probe, sign(priv, probe));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static byte[] der(Path file, String type) throws EdgeoptException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw EdgeoptException.invalid(file + ": cannot read the key: " + e.getMessage(), e);
    }
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw EdgeoptException.invalid(
          file
              + ": expected a PEM block '"
              + begin
              + "', found none"
              + (text.contains("-----BEGIN ") ? " (it holds another kind of key)" : ""));
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw EdgeoptException.invalid(
          file + ": the PEM block is not valid base64: " + ex.getMessage(), ex);
    }
  }
}
