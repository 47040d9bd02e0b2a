/** The edgeopt command line. */
package org.edgeopt.cli;
