/**
 * A small immutable graph IR: {@link org.edgeopt.core.graph.Graph}, {@link
 * org.edgeopt.core.graph.Node}, {@link org.edgeopt.core.graph.Value} and {@link
 * org.edgeopt.core.graph.Tensor}, edited through {@link org.edgeopt.core.graph.GraphBuilder}.
 *
 * <p>Every pass is a function from a graph to a graph. The {@link
 * org.edgeopt.core.graph.OperatorRegistry} checks arity and required attributes when a node
 * is built, so a malformed edit fails where it is made, not in a runtime later.
 */
package org.edgeopt.core.graph;
