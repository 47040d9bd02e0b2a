/**
 * Target hardware described as data ({@link org.edgeopt.core.targets.TargetProfile}, shipped
 * as JSON) and the {@link org.edgeopt.core.targets.Target} plug-in SPI that compiles for it.
 */
package org.edgeopt.core.targets;
