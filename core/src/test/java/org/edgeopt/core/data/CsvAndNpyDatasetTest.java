package org.edgeopt.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvAndNpyDatasetTest {
  @TempDir Path dir;

  private static List<Batch> all(Dataset d, int batchSize) throws EdgeoptException {
    List<Batch> out = new ArrayList<>();
    d.batches(batchSize).forEachRemaining(out::add);
    return out;
  }

  @Test
  void csvWithTheLabelColumnAnywhere() throws Exception {
    Path csv = dir.resolve("digits.csv");
    Files.writeString(csv, "f0,target,f1\n1,3,2\n\n4,1,8\n16,0,0\n");
    Dataset d = Datasets.open(csv, Preprocessing.parse("scale=1/16"), null, "target");
    assertEquals(3, d.size());
    assertArrayEquals(new long[] {2}, d.sampleShape());
    List<Batch> b = all(d, 2);
    assertEquals(List.of(2, 1), b.stream().map(Batch::size).toList());
    assertArrayEquals(
        new float[] {1 / 16f, 2 / 16f, 4 / 16f, 8 / 16f}, b.get(0).input().toFloats());
    assertArrayEquals(new int[] {3, 1}, b.get(0).labels());
    assertArrayEquals(new int[] {0}, b.get(1).labels());
  }

  @Test
  void csvQuotedFieldsMayHoldCommasQuotesAndLineBreaks() throws Exception {
    // As spreadsheets and pandas write them (RFC 4180): a header name with a comma, a doubled quote
    // and a line break, quoted numbers, CRLF line ends and spaces around an unquoted value.
    Path csv = dir.resolve("quoted.csv");
    Files.writeString(
        csv,
        "\"width, cm\",\"the \"\"label\"\"\",\"note\nline 2\"\r\n"
            + "\"1.5\",\"2\", 3\r\n"
            + " 4 ,0,\"5\"\r\n");
    Dataset d = Datasets.open(csv, Preprocessing.identity(), null, "the \"label\"");
    assertEquals(2, d.size());
    assertArrayEquals(new long[] {2}, d.sampleShape());
    List<Batch> b = all(d, 8);
    assertEquals(1, b.size());
    assertArrayEquals(new float[] {1.5f, 3f, 4f, 5f}, b.get(0).input().toFloats());
    assertArrayEquals(new int[] {2, 0}, b.get(0).labels());
  }

  @Test
  void csvRowsWithAnotherColumnCountFailNamingTheRow() throws Exception {
    Path csv = dir.resolve("ragged.csv");
    // The quoted "7,8" is one cell: with a plain split on commas this row would look complete.
    Files.writeString(csv, "label,a,b\n1,2,3\n0,\"7,8\"\n");
    Dataset d = Datasets.open(csv, Preprocessing.identity(), null, null);
    DataException e = assertThrows(DataException.class, () -> all(d, 8));
    assertEquals(csv + ": row 2: expected 3 columns, found 2", e.getMessage());
  }

  @Test
  void csvWithoutTheLabelColumnIsInvalid() throws Exception {
    Path csv = dir.resolve("x.csv");
    Files.writeString(csv, "a,b\n1,2\n");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(csv, Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        csv + ": labels missing: expected a column named 'label', found [a, b]", e.getMessage());
  }

  @Test
  void csvCellsThatAreNotNumbersFailNamingRowAndColumn() throws Exception {
    Path csv = dir.resolve("x.csv");
    Files.writeString(csv, "label,a\n1,2\n0,two\n");
    Dataset d = Datasets.open(csv, Preprocessing.identity(), null, null);
    DataException e = assertThrows(DataException.class, () -> all(d, 8));
    assertEquals(csv + ": row 2, column 2: expected a number, found 'two'", e.getMessage());
  }

  @Test
  void npyFloat32NchwWithPerChannelMean() throws Exception {
    // Two samples [2 channels, 1, 2]: channel 0 holds 10s, channel 1 holds 20s.
    DataFiles.npy(
        dir.resolve("x.npy"),
        "<f4",
        new long[] {2, 2, 1, 2},
        DataFiles.float32(10, 11, 20, 21, 12, 13, 22, 23),
        false);
    DataFiles.npy(dir.resolve("labels.npy"), "<i8", new long[] {2}, DataFiles.int64(7, 9), false);
    Dataset d = Datasets.open(dir, Preprocessing.parse("mean=10:20"), null, null);
    assertArrayEquals(new long[] {2, 1, 2}, d.sampleShape());
    Batch b = all(d, 8).get(0);
    assertArrayEquals(new long[] {2, 2, 1, 2}, b.input().dims());
    assertArrayEquals(new float[] {0, 1, 0, 1, 2, 3, 2, 3}, b.input().toFloats());
    assertArrayEquals(new int[] {7, 9}, b.labels());
  }

  @Test
  void npyUint8() throws Exception {
    DataFiles.npy(
        dir.resolve("x.npy"),
        "|u1",
        new long[] {3, 2},
        new byte[] {0, 1, 2, 3, (byte) 254, (byte) 255},
        false);
    DataFiles.npy(
        dir.resolve("labels.npy"), "<i8", new long[] {3}, DataFiles.int64(0, 1, 2), false);
    Dataset d = Datasets.open(dir.resolve("x.npy"), Preprocessing.identity(), null, null);
    List<Batch> b = all(d, 2);
    assertArrayEquals(new float[] {254, 255}, b.get(1).input().toFloats());
  }

  @Test
  void npyWithoutLabelsIsInvalid() throws Exception {
    DataFiles.npy(dir.resolve("x.npy"), "<f4", new long[] {1, 2}, DataFiles.float32(1, 2), false);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(dir.resolve("x.npy"), Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        dir.resolve("x.npy")
            + ": labels missing: expected a labels .npy beside it ("
            + dir.resolve("labels.npy")
            + ")",
        e.getMessage());
  }

  @Test
  void npyOfAnotherTypeOrOrderIsInvalid() throws Exception {
    DataFiles.npy(dir.resolve("labels.npy"), "<i8", new long[] {1}, DataFiles.int64(0), false);
    DataFiles.npy(dir.resolve("x.npy"), "<i2", new long[] {1, 2}, new byte[4], false);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(dir.resolve("x.npy"), Preprocessing.identity(), null, null));
    assertEquals(
        dir.resolve("x.npy") + ": expected float32, float64 or uint8 data, found dtype <i2",
        e.getMessage());
    DataFiles.npy(dir.resolve("x.npy"), "<f4", new long[] {1, 2}, DataFiles.float32(1, 2), true);
    e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(dir.resolve("x.npy"), Preprocessing.identity(), null, null));
    assertEquals(
        dir.resolve("x.npy") + ": expected C-order data, found Fortran order", e.getMessage());
  }

  @Test
  void unknownFilesAndMissingPathsAreInvalid() throws Exception {
    Path txt = Files.writeString(dir.resolve("data.txt"), "1 2 3");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(txt, Preprocessing.identity(), null, null));
    assertEquals(
        txt
            + ": unknown data format: expected .csv, .npy, IDX files or a folder of class subfolders",
        e.getMessage());
    Path missing = dir.resolve("nope");
    e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(missing, Preprocessing.identity(), null, null));
    assertEquals(missing + ": data not found", e.getMessage());
  }

  @Test
  void csvLabelTwoPointFiveIsRefused() throws Exception {
    Path csv = dir.resolve("x.csv");
    Files.writeString(csv, "label,a\n1,2\n2.5,3\n3.0,4\n");
    Dataset d = Datasets.open(csv, Preprocessing.identity(), null, null);
    DataException e = assertThrows(DataException.class, () -> all(d, 8));
    assertEquals(
        csv + ": row 2, column 1 (the label): expected a whole class index, found '2.5'",
        e.getMessage());
  }

  @Test
  void csvLabelThreePointZeroIsClassThree() throws Exception {
    Path csv = dir.resolve("y.csv");
    Files.writeString(csv, "label,a\n3.0,4\n");
    assertEquals(
        3, all(Datasets.open(csv, Preprocessing.identity(), null, null), 8).get(0).labels()[0]);
  }
}
