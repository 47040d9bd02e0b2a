package org.edgeopt.deploy;

import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import org.edgeopt.core.EdgeoptException;

/**
 * The signature of a bundle's manifest: Ed25519 over the exact bytes of {@code manifest.json},
 * with the id of the key that made it so a verifier can say "wrong key" rather than "tampered".
 *
 * @param algorithm always {@value SigningKeys#ALGORITHM}
 * @param keyId the signer's public key id ({@link SigningKeys#keyId})
 * @param signed the entry the signature covers
 * @param signature the base64 signature
 */
public record BundleSignature(String algorithm, String keyId, String signed, String signature) {

  /** Signs {@code manifest} with {@code key}. */
  static BundleSignature of(PrivateKey key, byte[] manifest) throws EdgeoptException {
    byte[] sig = SigningKeys.sign(key, manifest);
    PublicKey pub = SigningKeys.publicOf(key);
    return new BundleSignature(
        SigningKeys.ALGORITHM,
        SigningKeys.keyId(pub),
        BundlePackager.MANIFEST,
        Base64.getEncoder().encodeToString(sig));
  }
}
