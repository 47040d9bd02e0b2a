/** Import and normalise FP32 models, and describe them in a model card. */
package org.edgeopt.ingest;
