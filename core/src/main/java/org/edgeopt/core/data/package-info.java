/**
 * Labelled field data read lazily in batches: IDX (MNIST format), CSV, {@code .npy} and image
 * folders, turned into model inputs by a {@link org.edgeopt.core.data.Preprocessing} spec.
 */
package org.edgeopt.core.data;
