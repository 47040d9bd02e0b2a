/**
 * The cascade planner: a small model answers when it is confident, a large one otherwise; the
 * planner picks the confidence signal and the threshold from holdout evidence with a confidence interval.
 */
package org.edgeopt.planners.cascade;
