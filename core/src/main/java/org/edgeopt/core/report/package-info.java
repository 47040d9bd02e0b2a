/**
 * Shared rendering for edgeopt's self-contained HTML pages: Mustache templates as resources,
 * one base stylesheet, and small data-to-SVG chart functions.
 */
package org.edgeopt.core.report;
