/** The one cost model: multiply-accumulates, elements moved and bytes per node at batch 1. */
package org.edgeopt.core.cost;
