/**
 * Deployment planners: where to split a model between an edge device and a server, and when a
 * small model should hand an input to a large one.
 */
package org.edgeopt.planners;
