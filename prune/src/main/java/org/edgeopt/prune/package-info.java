/** Target-aware structured sparsity: 2:4 semi-structured and channel pruning within an accuracy budget. */
package org.edgeopt.prune;
