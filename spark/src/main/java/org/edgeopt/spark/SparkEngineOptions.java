package org.edgeopt.spark;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/**
 * The options every Spark command shares (the master, the engine accepted for parity with {@code
 * edgeopt}, verbosity), and the session they start: one place for what the calibrate, validate
 * and monitor commands would otherwise each restate.
 */
final class SparkEngineOptions {
  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Spark master when not set by spark-submit: local[*], spark://host:7077, yarn, k8s://... (default: local[*]).")
  String master;

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "spark",
      description = "Accepted for parity with edgeopt; always spark here.")
  String engine;

  @Option(
      names = {"-q", "--quiet"},
      description = "Print only results and errors.")
  boolean quiet;

  @Option(
      names = {"-v", "--verbose"},
      description = "Stack traces on errors.")
  boolean verbose;

  /**
   * Starts (or joins) the session: on {@code --master} when given, else on what spark-submit set,
   * else on {@code local[*]}.
   */
  SparkSession session(String appName) {
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (master != null) {
      builder.master(master);
    } else if (!new org.apache.spark.SparkConf().contains("spark.master")) {
      builder.master("local[*]");
    }
    return builder.getOrCreate();
  }
}
