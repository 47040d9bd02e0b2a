/** The calibration-cost benchmark: a program to run by hand, not a test. */
package org.edgeopt.calibrate.bench;
