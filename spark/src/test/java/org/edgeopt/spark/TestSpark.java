package org.edgeopt.spark;

import org.apache.spark.sql.SparkSession;

/** Spark sessions for tests: small, quiet, no web UI. */
final class TestSpark {
  private TestSpark() {}

  /** Returns a new session on {@code master}, e.g. {@code local[2]}. */
  static SparkSession session(String master) {
    return SparkSession.builder()
        .master(master)
        .appName("edgeopt-spark-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }
}
