/** Maven goals that run the edgeopt pipeline in a model build and gate it on accuracy drift. */
package org.edgeopt.maven;
