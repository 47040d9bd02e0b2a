package org.edgeopt.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxDatasetTest {
  @TempDir Path dir;

  /** Five 2x3 images whose pixels are 10 * image + position, and labels 5 - image. */
  private void writeFive(String suffix) throws IOException {
    byte[] px = new byte[5 * 6];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (10 * (i / 6) + i % 6 + (i / 6 == 4 ? 200 : 0));
    }
    DataFiles.idxImages(dir.resolve("images-idx3-ubyte" + suffix), 2, 3, px);
    DataFiles.idxLabels(dir.resolve("labels-idx1-ubyte" + suffix), new byte[] {5, 4, 3, 2, 1});
  }

  private static List<Batch> all(Dataset d, int batchSize, int limit) throws EdgeoptException {
    List<Batch> out = new ArrayList<>();
    Iterator<Batch> it = d.batches(batchSize, limit);
    it.forEachRemaining(out::add);
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {".gz", ""})
  void readsGzipAndPlainFilesInBatches(String suffix) throws Exception {
    writeFive(suffix);
    Dataset d = Datasets.open(dir, Preprocessing.parse("scale=1/255"), null, null);
    assertEquals(5, d.size());
    assertArrayEquals(new long[] {1, 2, 3}, d.sampleShape());
    assertTrue(
        d.describe().startsWith("IDX " + dir.resolve("images-idx3-ubyte" + suffix)), d.describe());
    List<Batch> batches = all(d, 2, Integer.MAX_VALUE);
    assertEquals(List.of(2, 2, 1), batches.stream().map(Batch::size).toList());
    assertArrayEquals(new long[] {2, 1, 2, 3}, batches.get(0).input().dims());
    assertArrayEquals(new int[] {5, 4}, batches.get(0).labels());
    float[] first = batches.get(1).input().toFloats();
    assertEquals(20f / 255f, first[0], 1e-7f, "image 2, pixel 0");
    assertEquals(35f / 255f, first[11], 1e-7f, "image 3, pixel 5");
    assertEquals(
        245f / 255f,
        batches.get(2).input().toFloats()[5],
        1e-7f,
        "pixels are unsigned bytes (245, not -11)");
  }

  @Test
  void respectsTheLimitAndChannelsLastLayout() throws Exception {
    writeFive(".gz");
    Dataset d =
        new IdxDataset(
            dir.resolve("images-idx3-ubyte.gz"),
            dir.resolve("labels-idx1-ubyte.gz"),
            Preprocessing.parse("layout=nhwc"));
    assertArrayEquals(new long[] {2, 3, 1}, d.sampleShape());
    List<Batch> batches = all(d, 4, 3);
    assertEquals(List.of(3), batches.stream().map(Batch::size).toList());
    assertArrayEquals(new long[] {3, 2, 3, 1}, batches.get(0).input().dims());
  }

  @Test
  void theImageFileCanBeGivenDirectly() throws Exception {
    writeFive(".gz");
    Dataset d =
        Datasets.open(dir.resolve("images-idx3-ubyte.gz"), Preprocessing.identity(), null, null);
    assertEquals(5, d.size());
  }

  @Test
  void missingLabelsAreInvalidInput() throws Exception {
    writeFive(".gz");
    Files.delete(dir.resolve("labels-idx1-ubyte.gz"));
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(dir, Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        dir.resolve("images-idx3-ubyte.gz")
            + ": labels missing: expected an IDX label file beside it",
        e.getMessage());
  }

  @Test
  void labelCountMustMatch() throws Exception {
    writeFive("");
    DataFiles.idxLabels(dir.resolve("labels-idx1-ubyte"), new byte[] {1, 2});
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(dir, Preprocessing.identity(), null, null));
    assertEquals(
        dir.resolve("labels-idx1-ubyte")
            + ": expected 5 labels to match "
            + dir.resolve("images-idx3-ubyte")
            + ", found 2",
        e.getMessage());
  }

  @Test
  void wrongMagicIsInvalidInput() throws Exception {
    writeFive("");
    Files.write(dir.resolve("images-idx3-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 5});
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(dir, Preprocessing.identity(), null, null));
    assertEquals(
        dir.resolve("images-idx3-ubyte")
            + ": expected an IDX image file (magic 0x00000803), found 0x801",
        e.getMessage());
  }

  @Test
  void aTruncatedImageFileFailsWhileStreamingNamingTheFile() throws Exception {
    DataFiles.idxLabels(dir.resolve("labels-idx1-ubyte"), new byte[] {1, 2, 3});
    // The header promises three 2x3 images; the file holds one and a half.
    byte[] px = new byte[9];
    DataFiles.idxImages(dir.resolve("images-idx3-ubyte"), 2, 3, px);
    byte[] raw = Files.readAllBytes(dir.resolve("images-idx3-ubyte"));
    raw[7] = 3;
    Files.write(dir.resolve("images-idx3-ubyte"), raw);
    Dataset d = Datasets.open(dir, Preprocessing.identity(), null, null);
    DataException e = assertThrows(DataException.class, () -> all(d, 2, Integer.MAX_VALUE));
    assertTrue(
        e.getMessage()
            .startsWith(
                dir.resolve("images-idx3-ubyte") + ": truncated IDX file: expected 3 images"),
        e.getMessage());
  }

  @Test
  void idxFolderWithTwoImageFilesIsRefused() throws Exception {
    writeFive("");
    Files.copy(dir.resolve("images-idx3-ubyte"), dir.resolve("more-images-idx3-ubyte"));
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(dir, Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        dir
            + ": holds 2 IDX image files (images-idx3-ubyte, more-images-idx3-ubyte): expected one; move the "
            + "others out or point at the file",
        e.getMessage());
  }

  @Test
  void meanWithTwoValuesOnOneChannelIsRefused() throws Exception {
    writeFive("");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(dir, Preprocessing.parse("mean=1:2"), null, null));
    assertTrue(
        e.getMessage()
            .contains(
                "mean has 2 values but "
                    + dir.resolve("images-idx3-ubyte")
                    + " (IDX images, grayscale) has 1 channel"),
        e.getMessage());
  }
}
