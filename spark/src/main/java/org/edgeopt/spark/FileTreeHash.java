package org.edgeopt.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.io.Hashes;
import scala.Tuple2;

/**
 * The fingerprint of the files below a Hadoop URI by the rule one machine hashes a data folder
 * with ({@link Hashes#sha256Tree}): SHA-256 over, for every file in path order, its path relative
 * to the root and the hex SHA-256 of its bytes. The files' own hashes are computed where the
 * bytes are (the executors); the driver folds them in order.
 */
final class FileTreeHash {
  private FileTreeHash() {}

  /** Returns the qualified form of {@code uri} ({@code file:/x} for {@code /x}), without a trailing slash. */
  static String root(SparkSession spark, String uri) throws EdgeoptException {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      String q = p.getFileSystem(conf).makeQualified(p).toString();
      return q.endsWith("/") ? q.substring(0, q.length() - 1) : q;
    } catch (IOException | IllegalArgumentException e) {
      throw EdgeoptException.invalid(uri + ": cannot resolve the location: " + e.getMessage(), e);
    }
  }

  /** Folds (qualified path, hex SHA-256) pairs, given in path order, under {@code root}. */
  static String fold(String root, Iterator<Tuple2<String, String>> files) {
    MessageDigest md = Hashes.sha256();
    while (files.hasNext()) {
      Tuple2<String, String> f = files.next();
      String path = f._1();
      String relative =
          path.startsWith(root + "/") ? path.substring(root.length() + 1) : baseName(path);
      md.update(relative.getBytes(StandardCharsets.UTF_8));
      md.update(f._2().getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Hashes the {@code files} (qualified URIs) on the executors and folds them in path order. */
  static String ofFiles(SparkSession spark, String root, String[] files) throws EdgeoptException {
    List<String> sorted = new ArrayList<>(Arrays.asList(files));
    sorted.sort(null);
    if (sorted.isEmpty()) {
      return fold(root, java.util.Collections.emptyIterator());
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConfiguration conf =
        new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    List<Tuple2<String, String>> hashed;
    try {
      hashed =
          jsc.parallelize(sorted, Math.min(sorted.size(), jsc.defaultParallelism()))
              .map(f -> new Tuple2<>(f, sha256(f, conf.value())))
              .collect();
    } catch (Exception e) { // SparkException is checked, but Scala throws it undeclared
      throw PartitionRunner.unwrap(e);
    }
    return fold(root, hashed.iterator());
  }

  private static String sha256(String file, Configuration conf) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file);
    FileSystem fs = p.getFileSystem(conf);
    MessageDigest md = Hashes.sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = fs.open(p)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String baseName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
