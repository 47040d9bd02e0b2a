/**
 * The normalisation passes of {@code edgeopt ingest}: each is a small {@code Graph -> Graph}
 * function that also says, in one line, what it changed.
 */
package org.edgeopt.ingest.pass;
