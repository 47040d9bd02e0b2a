package org.edgeopt.prune;

/**
 * One measured accuracy-recovery variant of the pruned model.
 *
 * @param method {@code none}, {@code magnitude-only}, {@code plain-removal}, {@code mean-compensation}, {@code least-squares},
 *     {@code bias-correction} or {@code batchnorm-reestimation}
 * @param top1 its top-1 accuracy on the search samples, in percent
 * @param applied whether the result uses it
 */
public record RecoveryTrial(String method, double top1, boolean applied) {}
