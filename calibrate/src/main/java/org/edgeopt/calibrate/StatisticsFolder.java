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
 * Folds captured activations into their statistics on one statistics thread, in batch order,
 * while the caller runs the next batches through ONNX Runtime.
 *
 * <p>Small batches (fewer than {@value #GROUP_VALUES} values) are copied out of ONNX Runtime's
 * pinned buffers and handed over in groups: one hand-off (two thread wake-ups) per group instead
 * of per batch, which at batch 1 on mnist-7 cost as much as the folding itself. Large batches are
 * handed over one at a time straight from the pinned buffers, which stay valid until the run after
 * the next, when {@link #accept} has waited for them. Either way one thread updates every tensor's
 * statistics, in batch order, so the result does not depend on timing; at most two groups are
 * alive at once, so memory does not grow with the number of samples. Progress is reported from
 * the statistics thread, once per batch folded.
 */
final class StatisticsFolder implements AutoCloseable {
  /** Batches below this many captured values are grouped, and a group holds about this many. */
  static final int GROUP_VALUES = 1 << 20;
  /** The most batches in one group (bounds the latency of the progress bar). */
  private static final int MAX_GROUP = 64;

  /** One batch copied out of the session. */
  private record Copied(String samples, int batchSamples, long upTo, Map<String, int[]> values,
      Map<String, Integer> lengths) {}

  private final Map<String, TensorStatistics> stats;
  private final String inputName;
  private final Dataset data;
  private final String where;
  private final CalibrationProgress progress;
  private final long total;
  private final int groupValues;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "edgeopt-calibration-statistics");
    t.setDaemon(true);
    return t;
  });
  private final Map<Integer, ConcurrentLinkedQueue<int[]>> pool = new ConcurrentHashMap<>();
  private final int[][] scratch = {new int[0]};
  private List<Copied> group = new ArrayList<>();
  private long groupedValues;
  private Future<?> pending;
  private long seen;

  StatisticsFolder(Map<String, TensorStatistics> stats, String inputName, Dataset data, String where,
      CalibrationProgress progress, long total, int groupValues) {
    this.stats = stats;
    this.inputName = inputName;
    this.data = data;
    this.where = where;
    this.progress = progress;
    this.total = total;
    this.groupValues = groupValues;
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
      awaitPending();
      Map<String, IntBuffer> views = new LinkedHashMap<>();
      if (stats.containsKey(inputName)) {
        views.put(inputName, input.data().asIntBuffer());
      }
      views.putAll(out);
      long upTo = seen;
      pending = worker.submit(() -> {
        for (Map.Entry<String, IntBuffer> e : views.entrySet()) {
          foldBuffer(stats.get(e.getKey()), e.getValue(), batchSamples, samples);
        }
        progress.advance(upTo, total);
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
    group.add(new Copied(samples, batchSamples, seen, copies, lengths));
    groupedValues += values;
    if (groupedValues >= groupValues || group.size() >= MAX_GROUP) {
      submitGroup();
    }
  }

  /** Folds everything taken so far and waits for it. */
  void finish() throws EdgeoptException {
    submitGroup();
    awaitPending();
  }

  private void copy(String name, IntBuffer from, Map<String, int[]> copies, Map<String, Integer> lengths) {
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
    awaitPending();
    pending = worker.submit(() -> {
      for (Copied c : batches) {
        for (Map.Entry<String, int[]> e : c.values().entrySet()) {
          TensorStatistics s = stats.get(e.getKey());
          if (!s.addBits(e.getValue(), c.lengths().get(e.getKey()), c.batchSamples())) {
            throw ActivationCapture.nonFinite(s, c.samples(), data, where);
          }
          pool.get(e.getValue().length).offer(e.getValue());
        }
        progress.advance(c.upTo(), total);
      }
      return null;
    });
  }

  private void foldBuffer(TensorStatistics s, IntBuffer values, int batchSamples, String samples)
      throws EdgeoptException {
    int n = values.remaining();
    if (scratch[0].length < n) {
      scratch[0] = new int[n];
    }
    values.get(scratch[0], 0, n);
    if (!s.addBits(scratch[0], n, batchSamples)) {
      throw ActivationCapture.nonFinite(s, samples, data, where);
    }
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
