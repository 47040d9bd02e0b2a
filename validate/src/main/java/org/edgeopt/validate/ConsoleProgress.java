package org.edgeopt.validate;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A {@link ProgressListener} drawn as a text progress bar with rate and ETA
 * ({@code me.tongfei:progressbar}), one bar per step, on a stream such as standard error.
 */
public final class ConsoleProgress implements ProgressListener {
  private static final int WIDTH = 100;
  private final PrintStream out;
  private ProgressBar bar;

  /** Creates a listener that draws on {@code out}. */
  public ConsoleProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public void start(String task, long total) {
    finish();
    // A fixed width: the bar must not probe the terminal, which is often a pipe in CI.
    bar =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII)
            .setConsumer(new ConsoleProgressBarConsumer(out, WIDTH))
            .setUpdateIntervalMillis(250)
            .showSpeed()
            .build();
  }

  @Override
  public void advance(long units) {
    if (bar != null) {
      bar.stepBy(units);
    }
  }

  @Override
  public void finish() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
