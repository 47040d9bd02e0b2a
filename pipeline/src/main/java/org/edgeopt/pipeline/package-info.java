/**
 * The one pipeline (ingest, prune, calibrate, quantize, compile, validate) that the command
 * line and the Maven plugin both run, from one {@code edgeopt.yaml}, skipping stages whose
 * inputs did not change.
 */
package org.edgeopt.pipeline;
