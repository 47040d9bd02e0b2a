/**
 * After deployment: signed, reproducible deployment bundles, field drift monitoring, and the
 * canary gate.
 *
 * <p>{@link org.edgeopt.deploy.BundlePackager} makes a bundle (the model, a
 * {@link org.edgeopt.deploy.Manifest}, the holdout {@link org.edgeopt.deploy.Baseline}, an Ed25519
 * signature) and {@link org.edgeopt.deploy.BundleVerifier} checks one. {@link org.edgeopt.deploy.Monitor}
 * streams device telemetry ({@link org.edgeopt.deploy.TelemetryReader}) into fixed-size
 * {@link org.edgeopt.deploy.WindowStats} per device and window and judges them against the baseline
 * with {@link org.edgeopt.deploy.DriftStatistics}; {@link org.edgeopt.deploy.Canary} compares two
 * versions' telemetry. Alerts and rollbacks are results (exit code 4), not exceptions; input that
 * cannot be used is an {@link org.edgeopt.core.EdgeoptException} (exit code 3).
 */
package org.edgeopt.deploy;
