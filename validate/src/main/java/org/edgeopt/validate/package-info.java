/**
 * Holdout evaluation, drift metrics, per-layer diagnosis, latency percentiles, reports and the
 * accuracy gate.
 *
 * <p>{@link org.edgeopt.validate.Validator} runs a {@link org.edgeopt.validate.ValidationConfig}
 * and returns a {@link org.edgeopt.validate.ValidationReport}; {@link org.edgeopt.validate.ReportWriter}
 * writes it as JSON, JUnit XML and a self-contained HTML page. The verdict is a result, not an
 * exception: a failed gate is a report with verdict FAIL (exit code 4), while a validation that
 * cannot run is an {@link org.edgeopt.core.EdgeoptException} (exit code 3).
 */
package org.edgeopt.validate;
