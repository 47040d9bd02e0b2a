/** Streaming activation capture, mergeable statistics and calibrators that choose INT8 ranges. */
package org.edgeopt.calibrate;
