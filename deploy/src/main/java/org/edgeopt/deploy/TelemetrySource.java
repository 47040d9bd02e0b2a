package org.edgeopt.deploy;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Where telemetry records come from: a file ({@link #of(Path)}), or anything else that can
 * stream them, such as a message queue consumer or a benchmark's generator.
 */
public interface TelemetrySource {
  /** Returns what the records come from, for error messages (a file name). */
  String name();

  /** Hands every record to {@code sink}, in order. */
  void forEach(Consumer<TelemetryRecord> sink);

  /** Returns the source reading one JSON Lines or CSV file with {@link TelemetryReader}. */
  static TelemetrySource of(Path file) {
    return new TelemetrySource() {
      @Override
      public String name() {
        return file.toString();
      }

      @Override
      public void forEach(Consumer<TelemetryRecord> sink) {
        TelemetryReader.read(file, sink);
      }
    };
  }
}
