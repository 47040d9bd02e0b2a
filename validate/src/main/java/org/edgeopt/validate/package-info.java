/** Holdout evaluation, drift metrics, per-layer diagnosis, latency percentiles, reports and the accuracy gate. */
package org.edgeopt.validate;
