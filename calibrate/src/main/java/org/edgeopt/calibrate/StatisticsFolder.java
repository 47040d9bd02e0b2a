package org.edgeopt.calibrate;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.graph.Tensor;

/**
 * Folds captured activations into their statistics on a statistics thread while the caller runs
 * the next batches through ONNX Runtime, and on the caller's thread when the statistics thread
 * is behind.
 *
 * <p>Small batches (fewer than {@value #GROUP_VALUES} values) are copied out of ONNX Runtime's
 * pinned buffers and handed over in groups: one hand-off (two thread wake-ups) per group instead
 * of per batch, which at batch 1 on mnist-7 cost as much as the folding itself. Large batches are
 * handed over one at a time straight from the pinned buffers, which stay valid until the run after
 * the next, when {@link #accept} has waited for them. At most two groups are alive at once, so
 * memory does not grow with the number of samples.
 *
 * <p><b>Balancing.</b> When a group is ready and the statistics thread is still folding the last
 * one, the caller folds the new group's batches itself, one at a time, until the statistics thread
 * is free (a large batch: whole), into statistics of its own, instead of waiting: with histograms
 * (every method but minmax) the folding is the slower of the two threads on small models, and the
 * caller's core would otherwise idle. {@link #finish} merges the two sets. Merging is exact and
 * the order batches are folded in does not matter ({@link TensorStatistics}), so the result does
 * not depend on which thread folded what. Progress is reported once per batch folded, under a
 * lock, with the count of samples folded so far.
 */
final class StatisticsFolder implements AutoCloseable {
  /** Batches below this many captured values are grouped, and a group holds about this many. */
  static final int GROUP_VALUES = 1 << 20;

  /** The most batches in one group (bounds the latency of the progress bar). */
  private static final int MAX_GROUP = 64;

  /** Who folds a batch that is ready while the statistics thread is busy. */
  enum Balancing {
    /** The caller waits for the statistics thread. */
    NEVER,
    /** The caller folds it itself (the default). */
    WHEN_BEHIND,
    /** The caller folds every other hand-off, busy or not: a fixed split, for tests. */
    EVERY_OTHER
  }

  /** One batch copied out of the session. */
  private record Copied(
      String samples, int batchSamples, Map<String, int[]> values, Map<String, Integer> lengths) {}

  private final Map<String, TensorStatistics> stats;

  /** The statistics the caller folds into when the statistics thread is behind; null until then. */
  private Map<String, TensorStatistics> callerStats;

  private final Object progressLock = new Object();
  private long folded;
  private final String inputName;
  private final Dataset data;
  private final String where;
  private final CalibrationProgress progress;
  private final long total;
  private final int groupValues;
  private final Balancing balancing;
  private long handOffs;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "edgeopt-calibration-statistics");
            t.setDaemon(true);
            return t;
          });
  private final Map<Integer, ConcurrentLinkedQueue<int[]>> pool = new ConcurrentHashMap<>();
  private final int[][] scratch = {new int[0]};
  private final int[][] callerScratch = {new int[0]};
  private List<Copied> group = new ArrayList<>();
  private long groupedValues;
  private Future<?> pending;
  private long seen;

  StatisticsFolder(
      Map<String, TensorStatistics> stats,
      String inputName,
      Dataset data,
      String where,
      CalibrationProgress progress,
      long total,
      int groupValues,
      Balancing balancing) {
    this.stats = stats;
    this.inputName = inputName;
    this.data = data;
    this.where = where;
    this.progress = progress;
    this.total = total;
    this.groupValues = groupValues;
    this.balancing = balancing;
  }

  /**
   * Takes one batch: its input and the activations the session returned for it (valid until the
   * run after the next).
   */
  void accept(Tensor input, int batchSamples, Map<String, IntBuffer> out) throws EdgeoptException {
    String samples = (seen + 1) + ".." + (seen + batchSamples);
    seen += batchSamples;
    long values = input.elementCount();
    for (IntBuffer b : out.values()) {
      values += b.remaining();
    }
    if (values >= groupValues) {
      submitGroup();
      Map<String, IntBuffer> views = new LinkedHashMap<>();
      if (stats.containsKey(inputName)) {
        views.put(inputName, input.data().asIntBuffer());
      }
      views.putAll(out);
      if (callerFolds(false)) {
        foldBuffers(callerStats(), views, batchSamples, samples, callerScratch);
        // The next run reuses the buffers the statistics thread is reading: let it finish first.
        awaitPending();
        return;
      }
      awaitPending();
      pending =
          worker.submit(
              () -> {
                foldBuffers(stats, views, batchSamples, samples, scratch);
                return null;
              });
      return;
    }
    Map<String, int[]> copies = new LinkedHashMap<>();
    Map<String, Integer> lengths = new LinkedHashMap<>();
    if (stats.containsKey(inputName)) {
      copy(inputName, input.data().asIntBuffer(), copies, lengths);
    }
    for (Map.Entry<String, IntBuffer> e : out.entrySet()) {
      copy(e.getKey(), e.getValue(), copies, lengths);
    }
    group.add(new Copied(samples, batchSamples, copies, lengths));
    groupedValues += values;
    if (groupedValues >= groupValues || group.size() >= MAX_GROUP) {
      if (balancing == Balancing.WHEN_BEHIND) {
        // Rather than wait for the statistics thread, fold this group's batches here, newest
        // first, one at a time, until it is free: a batch is a fraction of a millisecond, so
        // neither thread idles for long, and the caller takes just the share it has time for.
        while (!group.isEmpty() && workerBusy()) {
          foldGroup(callerStats(), List.of(group.remove(group.size() - 1)));
        }
      }
      submitGroup();
    }
  }

  /** Folds everything taken so far, waits for it, and merges what the caller folded into the statistics. */
  void finish() throws EdgeoptException {
    submitGroup();
    awaitPending();
    if (callerStats != null) {
      for (Map.Entry<String, TensorStatistics> e : callerStats.entrySet()) {
        stats.put(e.getKey(), stats.get(e.getKey()).merge(e.getValue()));
      }
      callerStats = null;
    }
  }

  /** Returns whether the statistics thread is still folding what it was last given. */
  private boolean workerBusy() {
    return pending != null && !pending.isDone();
  }

  /**
   * Returns whether the caller folds a whole hand-off itself: a large batch, or a group (which
   * {@link Balancing#WHEN_BEHIND} splits batch by batch in {@link #accept} instead).
   */
  private boolean callerFolds(boolean group) {
    return switch (balancing) {
      case NEVER -> false;
      case WHEN_BEHIND -> !group && workerBusy();
      case EVERY_OTHER -> (handOffs++ & 1) == 1;
    };
  }

  /** Returns the caller's own statistics, empty ones of the same kinds at first. */
  private Map<String, TensorStatistics> callerStats() {
    if (callerStats == null) {
      callerStats = new LinkedHashMap<>();
      stats.forEach(
          (name, s) ->
              callerStats.put(
                  name,
                  s.hasHistogram()
                      ? TensorStatistics.withHistogram(name)
                      : TensorStatistics.minMaxOnly(name)));
    }
    return callerStats;
  }

  /** Counts a folded batch and reports progress; either thread may call it. */
  private void advance(int batchSamples) {
    synchronized (progressLock) {
      folded += batchSamples;
      progress.advance(folded, total);
    }
  }

  private void copy(
      String name, IntBuffer from, Map<String, int[]> copies, Map<String, Integer> lengths) {
    int n = from.remaining();
    ConcurrentLinkedQueue<int[]> free = pool.computeIfAbsent(n, k -> new ConcurrentLinkedQueue<>());
    int[] a = free.poll();
    if (a == null) {
      a = new int[n];
    }
    from.duplicate().get(a, 0, n);
    copies.put(name, a);
    lengths.put(name, n);
  }

  private void submitGroup() throws EdgeoptException {
    if (group.isEmpty()) {
      return;
    }
    List<Copied> batches = group;
    group = new ArrayList<>();
    groupedValues = 0;
    if (callerFolds(true)) {
      foldGroup(callerStats(), batches);
      return;
    }
    awaitPending();
    pending =
        worker.submit(
            () -> {
              foldGroup(stats, batches);
              return null;
            });
  }

  private void foldGroup(Map<String, TensorStatistics> into, List<Copied> batches)
      throws EdgeoptException {
    for (Copied c : batches) {
      for (Map.Entry<String, int[]> e : c.values().entrySet()) {
        TensorStatistics s = into.get(e.getKey());
        if (!s.addBits(e.getValue(), c.lengths().get(e.getKey()), c.batchSamples())) {
          throw ActivationCapture.nonFinite(s, c.samples(), data, where);
        }
        pool.get(e.getValue().length).offer(e.getValue());
      }
      advance(c.batchSamples());
    }
  }

  private void foldBuffers(
      Map<String, TensorStatistics> into,
      Map<String, IntBuffer> views,
      int batchSamples,
      String samples,
      int[][] scratch)
      throws EdgeoptException {
    for (Map.Entry<String, IntBuffer> e : views.entrySet()) {
      TensorStatistics s = into.get(e.getKey());
      IntBuffer values = e.getValue();
      int n = values.remaining();
      if (scratch[0].length < n) {
        scratch[0] = new int[n];
      }
      values.get(scratch[0], 0, n);
      if (!s.addBits(scratch[0], n, batchSamples)) {
        throw ActivationCapture.nonFinite(s, samples, data, where);
      }
    }
    advance(batchSamples);
  }

  /** Waits for the task in flight, rethrowing what it threw. */
  private void awaitPending() throws EdgeoptException {
    if (pending == null) {
      return;
    }
    Future<?> task = pending;
    pending = null;
    try {
      task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for activation statistics", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof EdgeoptException ee) {
        throw ee;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error er) {
        throw er;
      }
      throw new IllegalStateException("activation statistics failed", c);
    }
  }

  /**
   * Stops the statistics thread; after a failure, waits (briefly) for the group in flight, so
   * that no progress call comes after the calibration has returned.
   */
  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
