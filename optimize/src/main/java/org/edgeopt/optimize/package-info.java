/**
 * {@code edgeopt optimize}: a measured, resumable search for the fastest (or smallest) model a
 * target runs within an accuracy bar, built from the existing stages (ingest, calibrate,
 * quantize, prune, validate, compile) without re-implementing any of them.
 */
package org.edgeopt.optimize;
