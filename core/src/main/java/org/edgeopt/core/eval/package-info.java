/** Running a model over a data set in batches, the loop every accuracy measurement shares. */
package org.edgeopt.core.eval;
