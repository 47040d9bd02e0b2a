package org.edgeopt.spark;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.split;

import java.util.ArrayList;
import java.util.HashMap;
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

/**
 * An image folder with one subfolder of PNG or JPEG images per class, read by Spark's
 * {@code binaryFile} source from any Hadoop file system URI. Labels follow the image-folder rule
 * of one machine: folders named by numbers are those class indices; otherwise the given class
 * names, or the folders numbered in sorted order.
 *
 * @param uri the folder holding the class subfolders
 * @param classNames the class names, or empty
 */
public record BinaryFileSource(String uri, List<String> classNames) implements SampleSource {
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
    RowDecoder decoder =
        new RowDecoder.Image(settings.preprocess(), settings.sampleShape(), describe());
    return RowSources.run(rows, settings, decoder, describe(), job);
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
