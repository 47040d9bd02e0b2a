package org.edgeopt.spark;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.split;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.edgeopt.core.EdgeoptException;
import scala.Tuple2;

/**
 * An image folder with one subfolder of PNG or JPEG images per class, read by Spark's
 * {@code binaryFile} source from any Hadoop file system URI. Labels follow the image-folder rule
 * of one machine: folders named by numbers are those class indices; otherwise the given class
 * names, or the folders numbered in sorted order.
 *
 * @param uri the folder holding the class subfolders
 * @param classNames the class names, or empty
 */
public record BinaryFileSource(String uri, List<String> classNames)
    implements SampleSource, TableSource {
  private static final long serialVersionUID = 1L;

  public BinaryFileSource {
    classNames = List.copyOf(classNames);
  }

  @Override
  public String describe() {
    return "image files " + uri;
  }

  @Override
  public SortedMap<Integer, byte[]> run(
      SparkSession spark, SourceSettings settings, PartitionJob job) throws EdgeoptException {
    Table t = table(spark, settings);
    return RowSources.run(t.rows(), settings, t.decoder(), describe(), job);
  }

  @Override
  public Table table(SparkSession spark, SourceSettings settings) throws EdgeoptException {
    Dataset<Row> files;
    try {
      files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(uri);
    } catch (RuntimeException e) {
      throw EdgeoptException.invalid(
          uri + ": cannot list the image files: " + ParquetSource.firstLine(e), e);
    }
    Dataset<Row> images =
        files
            .filter(
                lower(col("path"))
                    .endsWith(".png")
                    .or(lower(col("path")).endsWith(".jpg"))
                    .or(lower(col("path")).endsWith(".jpeg")))
            .withColumn("class", element_at(split(col("path"), "/"), lit(-2)));
    List<String> folders = new ArrayList<>();
    for (Row r : images.select("class").distinct().collectAsList()) {
      folders.add(r.getString(0));
    }
    if (folders.isEmpty()) {
      throw EdgeoptException.invalid(
          uri + ": expected PNG or JPEG images in class subfolders, found none");
    }
    List<Row> labelRows = new ArrayList<>();
    labels(folders).forEach((folder, label) -> labelRows.add(RowFactory.create(folder, label)));
    Dataset<Row> labelTable =
        spark.createDataFrame(
            labelRows,
            new StructType()
                .add("class", DataTypes.StringType, false)
                .add("label", DataTypes.IntegerType, false));
    Dataset<Row> rows =
        images
            .join(broadcast(labelTable), "class")
            .select(col("content"), col("label"), col("path"));
    if (settings.limit() < Integer.MAX_VALUE) {
      // The first N samples in path order, as one machine reads a folder, on every run.
      rows = rows.orderBy("path");
    }
    return new Table(
        rows, new RowDecoder.Image(settings.preprocess(), settings.sampleShape(), describe()));
  }

  /** The first images in path order, as one machine reads the folder (a top-k, not a full sort). */
  @Override
  public List<Row> head(Table table, int k) {
    return table.rows().orderBy("path").limit(k).collectAsList();
  }

  @Override
  public String sha256(SparkSession spark, Table table) throws EdgeoptException {
    String root = FileTreeHash.root(spark, uri);
    // In path order, one partition at a time: the driver holds one partition's hashes, not all.
    Iterator<Row> files =
        table
            .rows()
            .select(col("path"), sha2(col("content"), 256))
            .orderBy("path")
            .toLocalIterator();
    return FileTreeHash.fold(
        root,
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return files.hasNext();
          }

          @Override
          public Tuple2<String, String> next() {
            Row r = files.next();
            return new Tuple2<>(r.getString(0), r.getString(1));
          }
        });
  }

  @Override
  public String sha256Of() {
    return "the image files read, in path order: each one's path below the holdout URI and the"
        + " SHA-256 of its bytes (Hashes.sha256Tree's rule: one machine's hash of a folder holding"
        + " only these images)";
  }

  /** Returns the class index of every folder name, by the image-folder rule. */
  Map<String, Integer> labels(List<String> folders) throws EdgeoptException {
    List<String> sorted = folders.stream().sorted().toList();
    boolean numeric = classNames.isEmpty() && sorted.stream().allMatch(f -> f.matches("\\d{1,9}"));
    Map<String, Integer> out = new HashMap<>();
    for (int i = 0; i < sorted.size(); i++) {
      String f = sorted.get(i);
      int label;
      if (numeric) {
        label = Integer.parseInt(f);
      } else if (classNames.isEmpty()) {
        label = i;
      } else {
        label = classNames.indexOf(f);
        if (label < 0 && f.matches("\\d+")) {
          label = Integer.parseInt(f);
        }
        if (label < 0 || label >= classNames.size()) {
          throw EdgeoptException.invalid(
              uri
                  + "/"
                  + f
                  + ": class '"
                  + f
                  + "' is not one the model can output (expected one of "
                  + classNames.size()
                  + " class names or an index below "
                  + classNames.size()
                  + ")");
        }
      }
      out.put(f, label);
    }
    return out;
  }
}
