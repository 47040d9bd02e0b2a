/**
 * The one cost model: multiply-accumulates, parameters, elements and bytes moved per node at
 * batch 1 ({@link org.edgeopt.core.cost.LayerCosts}), summed per layer and per operator over a
 * model with its activation-memory peak ({@link org.edgeopt.core.cost.GraphCost}).
 */
package org.edgeopt.core.cost;
