package org.edgeopt.spark;

import java.util.Arrays;
import java.util.SortedMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.data.Preprocessing;

/**
 * A Parquet table (any Hadoop file system URI Spark reads: {@code file:}, {@code hdfs:},
 * {@code s3a:} ...) with one sample per row: a column of encoded images (PNG or JPEG bytes) or of
 * tensors (an array of numbers, or raw little-endian float32 bytes, in the model input's shape
 * without the batch dimension), and optionally a label column.
 *
 * @param uri the table's location
 * @param dataColumn the column holding the samples
 * @param labelColumn the integer label column, or null
 * @param rawFloats whether a binary data column holds float32 tensors rather than encoded images
 */
public record ParquetSource(String uri, String dataColumn, String labelColumn, boolean rawFloats)
    implements SampleSource, TableSource {
  private static final long serialVersionUID = 1L;

  @Override
  public String describe() {
    return "Parquet "
        + uri
        + " (column "
        + dataColumn
        + (labelColumn == null ? "" : ", labels " + labelColumn)
        + ")";
  }

  @Override
  public SortedMap<Integer, byte[]> run(
      SparkSession spark, SourceSettings settings, PartitionJob job) throws EdgeoptException {
    Table t = table(spark, settings);
    return RowSources.run(t.rows(), settings, t.decoder(), describe(), job);
  }

  @Override
  public Table table(SparkSession spark, SourceSettings settings) throws EdgeoptException {
    Dataset<Row> table;
    try {
      table = spark.read().parquet(uri);
    } catch (RuntimeException e) {
      throw EdgeoptException.invalid(uri + ": cannot read the Parquet table: " + firstLine(e), e);
    }
    for (String c :
        labelColumn == null ? new String[] {dataColumn} : new String[] {dataColumn, labelColumn}) {
      if (!Arrays.asList(table.columns()).contains(c)) {
        throw EdgeoptException.invalid(
            uri + ": expected a column '" + c + "', found " + Arrays.toString(table.columns()));
      }
    }
    DataType type = table.schema().apply(dataColumn).dataType();
    Preprocessing pre = Preprocessing.parse(settings.preprocess());
    RowDecoder decoder =
        type instanceof BinaryType && !rawFloats
            ? new RowDecoder.Image(pre.toSpec(), settings.sampleShape(), describe())
            : RowDecoder.Tensor.of(pre, settings.sampleShape(), describe());
    Column[] columns =
        labelColumn == null
            ? new Column[] {table.col(dataColumn)}
            : new Column[] {table.col(dataColumn), table.col(labelColumn)};
    return new Table(table.select(columns), decoder);
  }

  @Override
  public String sha256(SparkSession spark, Table table) throws EdgeoptException {
    return FileTreeHash.ofFiles(spark, FileTreeHash.root(spark, uri), table.rows().inputFiles());
  }

  @Override
  public String sha256Of() {
    return "the table's data files in path order: each one's path below the holdout URI and the"
        + " SHA-256 of its bytes (the rule of a folder holdout on one machine)";
  }

  static String firstLine(Throwable e) {
    return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
  }
}
