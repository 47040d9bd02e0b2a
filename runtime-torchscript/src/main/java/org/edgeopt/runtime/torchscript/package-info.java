/**
 * The TorchScript reference runtime (DJL's PyTorch engine), a {@link
 * org.edgeopt.core.runtime.RuntimeProvider} plug-in kept out of {@code core} because PyTorch's
 * native library weighs about 107 MB: only the front ends that run a TorchScript reference carry it.
 */
package org.edgeopt.runtime.torchscript;
