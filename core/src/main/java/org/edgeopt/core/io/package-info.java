/** Atomic file output and content hashing, so no command ever leaves a half-written artifact. */
package org.edgeopt.core.io;
