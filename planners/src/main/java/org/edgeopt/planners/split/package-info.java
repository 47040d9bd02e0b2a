/**
 * The split-inference planner: enumerate the cuts of a model, cost each one for an edge device, a
 * link and a server, extract and verify the two parts.
 */
package org.edgeopt.planners.split;
