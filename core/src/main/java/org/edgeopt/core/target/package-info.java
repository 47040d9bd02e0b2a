/**
 * Target hardware described as data ({@link org.edgeopt.core.target.TargetProfile}, shipped
 * as JSON) and the {@link org.edgeopt.core.target.Target} plug-in SPI that compiles for it.
 */
package org.edgeopt.core.target;
