package org.edgeopt.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.SortedMap;
import org.edgeopt.core.EdgeoptException;

/**
 * A bundle's manifest and baseline, read for monitoring; verified first when a key is given.
 *
 * @param manifest the manifest
 * @param baseline the holdout baseline
 * @param verified whether the signature and hashes were checked
 */
public record OpenedBundle(Manifest manifest, Baseline baseline, boolean verified) {

  /**
   * Opens {@code bundle}; with a {@code key} it must verify ({@link BundleVerifier}), without one
   * it is only read.
   *
   * @throws EdgeoptException (exit 3) when the bundle cannot be read or does not verify
   */
  public static OpenedBundle open(Path bundle, PublicKey key) throws EdgeoptException {
    if (key != null) {
      BundleVerifier.verify(bundle, key);
    }
    try {
      SortedMap<String, byte[]> entries = BundleArchive.decode(Files.readAllBytes(bundle));
      byte[] manifest = entries.get(BundlePackager.MANIFEST);
      byte[] baseline = entries.get(BundlePackager.BASELINE);
      if (manifest == null || baseline == null) {
        throw EdgeoptException.invalid(
            bundle
                + ": "
                + (manifest == null ? BundlePackager.MANIFEST : BundlePackager.BASELINE)
                + " missing: expected an edgeopt bundle made by `edgeopt package`");
      }
      return new OpenedBundle(
          StableJson.read(manifest, Manifest.class),
          StableJson.read(baseline, Baseline.class),
          key != null);
    } catch (BundleException e) {
      throw EdgeoptException.invalid(
          bundle + (e.entry() == null ? "" : ": " + e.entry()) + ": " + e.getMessage());
    } catch (IOException e) {
      throw EdgeoptException.invalid(bundle + ": cannot read the bundle: " + e.getMessage(), e);
    }
  }

  /** Returns the model's name and version, e.g. {@code fashion-mnist 1.2.0}. */
  public String model() {
    return manifest.model().name() + " " + manifest.model().version();
  }
}
