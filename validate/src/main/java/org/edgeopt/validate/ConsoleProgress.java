package org.edgeopt.validate;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A {@link ProgressListener} for a console: on a terminal a text progress bar with rate and ETA
 * ({@code me.tongfei:progressbar}) per step, elsewhere (a pipe, a CI log) one line per finished
 * step, since a redrawn bar there leaves every redraw in the log.
 */
public final class ConsoleProgress implements ProgressListener {
  private static final int WIDTH = 100;
  private final PrintStream out;
  private final boolean bars;
  private ProgressBar bar;
  private String task;
  private long total;
  private long done;
  private long startNanos;

  private ConsoleProgress(PrintStream out, boolean bars) {
    this.out = out;
    this.bars = bars;
  }

  /** Returns a listener that draws bars on {@code out} when the process has a terminal, else writes lines. */
  public static ConsoleProgress forConsole(PrintStream out) {
    return new ConsoleProgress(out, System.console() != null);
  }

  /** Returns a bar of {@code total} units on {@code out}, as every console bar of edgeopt looks. */
  public static ProgressBar bar(String task, long total, PrintStream out) {
    // A fixed width: the bar must not probe the terminal, which is often a pipe in CI.
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(out, WIDTH))
        .setUpdateIntervalMillis(250)
        .showSpeed()
        .build();
  }

  @Override
  public void start(String task, long total) {
    finish();
    this.task = task;
    this.total = total;
    this.done = 0;
    this.startNanos = System.nanoTime();
    if (bars) {
      bar = bar(task, total, out);
    }
  }

  @Override
  public void advance(long units) {
    done += units;
    if (bar != null) {
      bar.stepBy(units);
    }
  }

  @Override
  public void finish() {
    if (bar != null) {
      bar.close();
      bar = null;
    } else if (task != null) {
      out.printf(
          Locale.ROOT,
          "%s: %d of %d in %.1f s%n",
          task,
          done,
          total,
          (System.nanoTime() - startNanos) / 1e9);
      out.flush();
    }
    task = null;
  }
}
