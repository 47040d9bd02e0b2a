package org.edgeopt.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Dataset;
import org.edgeopt.core.data.Datasets;
import org.edgeopt.core.data.Preprocessing;

/**
 * Data in any format the single-machine commands read (IDX, npy, CSV, an image folder), at a
 * path every executor can read (a shared file system, or the same copy on every node). Each
 * partition is a contiguous slice of the samples starting on a multiple of the batch size, read by
 * the executor with the very code one machine uses.
 *
 * @param path the file or folder, as given to {@code --data}
 * @param classNames the class names of an image folder, or empty to number its folders
 * @param labelColumn the label column of a CSV file, or null for the default
 */
public record FileSource(String path, List<String> classNames, String labelColumn)
    implements SampleSource {
  private static final long serialVersionUID = 1L;

  public FileSource {
    classNames = List.copyOf(classNames);
  }

  /** Returns a source for a path with no class names and the default label column. */
  public static FileSource of(Path path) {
    return new FileSource(path.toString(), List.of(), null);
  }

  /** Opens the data set here, as every executor does. */
  public Dataset open(Preprocessing pre) throws EdgeoptException {
    return Datasets.open(Path.of(path), pre, classNames.isEmpty() ? null : classNames, labelColumn);
  }

  @Override
  public String describe() {
    return path;
  }

  @Override
  public SortedMap<Integer, byte[]> run(
      SparkSession spark, SourceSettings settings, PartitionJob job) throws EdgeoptException {
    Preprocessing pre = Preprocessing.parse(settings.preprocess());
    int total = Math.min(open(pre).size(), settings.limit());
    int batch = settings.batchSize();
    int per =
        per(
            total,
            batch,
            Math.max(
                1,
                settings.partitions() > 0
                    ? settings.partitions()
                    : spark.sparkContext().defaultParallelism()));
    List<Integer> starts = new ArrayList<>();
    for (int s = 0; s < total; s += per) {
      starts.add(s);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return PartitionRunner.run(
        jsc.parallelize(starts, starts.size()),
        (index, rows) -> {
          if (!rows.hasNext()) {
            return null;
          }
          int start = rows.next();
          int end = Math.min(total, start + per);
          return new SliceDataset(
              open(Preprocessing.parse(settings.preprocess())), start, end, batch);
        },
        job);
  }

  /** Returns the samples per slice: a whole number of batches, so that at most {@code partitions} slices hold them all. */
  static int per(int total, int batch, int partitions) {
    int batches = (total + batch - 1) / batch;
    return Math.max(1, (batches + partitions - 1) / partitions) * batch;
  }
}
