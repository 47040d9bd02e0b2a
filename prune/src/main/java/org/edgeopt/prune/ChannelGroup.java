package org.edgeopt.prune;

import java.util.List;

/**
 * A set of channels that must be pruned together: the output channels of one or more weighted
 * layers (several when residual Adds tie them) and every tensor that carries them.
 *
 * @param id the group's number within its analysis
 * @param channels the number of channels
 * @param sources the weighted layers whose output channels these are
 * @param sinks the weighted layers that read these channels as input channels
 * @param tensors the tensors that carry these channels (whole or as a Concat part)
 * @param prunable whether channels can be removed
 * @param reason why not, when not prunable
 */
public record ChannelGroup(
    int id,
    int channels,
    List<String> sources,
    List<String> sinks,
    List<String> tensors,
    boolean prunable,
    String reason) {
  public ChannelGroup {
    sources = List.copyOf(sources);
    sinks = List.copyOf(sinks);
    tensors = List.copyOf(tensors);
  }

  /** Returns a short description, e.g. {@code 96 channels of Conv '/b3/expand' (+1 more)}. */
  public String describe() {
    String s =
        channels + " channels of " + (sources.isEmpty() ? "no layer" : "'" + sources.get(0) + "'");
    return sources.size() > 1 ? s + " (+" + (sources.size() - 1) + " tied by residual adds)" : s;
  }
}
