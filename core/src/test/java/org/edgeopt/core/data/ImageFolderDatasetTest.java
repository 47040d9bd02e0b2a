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

class ImageFolderDatasetTest {
  @TempDir Path dir;

  private static final int RED = 0xC81E0A;
  private static final int GREEN = 0x14B428;

  private static List<Batch> all(Dataset d, int batchSize) throws EdgeoptException {
    List<Batch> out = new ArrayList<>();
    d.batches(batchSize).forEachRemaining(out::add);
    return out;
  }

  private void twoClasses(int w, int h) throws Exception {
    DataFiles.png(dir.resolve("cat/a.png"), w, h, RED);
    DataFiles.png(dir.resolve("cat/b.png"), w, h, RED);
    DataFiles.png(dir.resolve("fish/c.png"), w, h, GREEN);
  }

  @Test
  void classesAreSubfoldersAndChannelsFollowTheSpec() throws Exception {
    twoClasses(4, 3);
    Dataset rgb = Datasets.open(dir, Preprocessing.parse("channels=rgb"), null, null);
    assertEquals(3, rgb.size());
    assertArrayEquals(new long[] {3, 3, 4}, rgb.sampleShape());
    List<Batch> b = all(rgb, 2);
    assertArrayEquals(new int[] {0, 0}, b.get(0).labels());
    assertArrayEquals(new int[] {1}, b.get(1).labels());
    float[] red = b.get(0).input().toFloats();
    assertEquals(200f, red[0], "R plane first");
    assertEquals(30f, red[12], "then G");
    assertEquals(10f, red[24], "then B");
    // BGR (SqueezeNet): the planes swap; the mean applies per output channel.
    Dataset bgr =
        Datasets.open(dir, Preprocessing.parse("channels=bgr,mean=104:117:123"), null, null);
    float[] swapped = all(bgr, 1).get(0).input().toFloats();
    assertEquals(10f - 104f, swapped[0]);
    assertEquals(30f - 117f, swapped[12]);
    assertEquals(200f - 123f, swapped[24]);
  }

  @Test
  void classNamesGiveTheLabelsAndNhwcInterleaves() throws Exception {
    twoClasses(2, 2);
    Dataset d =
        Datasets.open(
            dir,
            Preprocessing.parse("channels=rgb,layout=nhwc"),
            List.of("fish", "dog", "cat"),
            null);
    List<Batch> b = all(d, 3);
    assertArrayEquals(new int[] {2, 2, 0}, b.get(0).labels());
    assertArrayEquals(new long[] {3, 2, 2, 3}, b.get(0).input().dims());
    float[] px = b.get(0).input().toFloats();
    assertArrayEquals(new float[] {200, 30, 10}, new float[] {px[0], px[1], px[2]});
  }

  @Test
  void grayAndResizeAndCrop() throws Exception {
    twoClasses(8, 6);
    // Short side 6 -> 3: 8x6 becomes 4x3, then the centre 2x2.
    Dataset d =
        Datasets.open(dir, Preprocessing.parse("resize=3,crop=2,channels=gray"), null, null);
    assertArrayEquals(new long[] {1, 2, 2}, d.sampleShape());
    float[] px = all(d, 1).get(0).input().toFloats();
    assertEquals(
        0.299f * 200 + 0.587f * 30 + 0.114f * 10,
        px[0],
        1.5f,
        "luma of the red image, after bilinear resizing");
  }

  @Test
  void anImageOfAnotherSizeFailsNamingTheFile() throws Exception {
    twoClasses(4, 4);
    DataFiles.png(dir.resolve("fish/d.png"), 5, 4, GREEN);
    Dataset d = Datasets.open(dir, Preprocessing.parse("channels=rgb"), null, null);
    DataException e = assertThrows(DataException.class, () -> all(d, 8));
    assertEquals(
        dir.resolve("fish/d.png")
            + ": expected an image of [3, 4, 4] after preprocessing (like a.png), found 5x4;"
            + " add resize=/crop= to the preprocessing",
        e.getMessage());
  }

  @Test
  void emptyFoldersAreInvalidInput() throws Exception {
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(dir, Preprocessing.identity(), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        dir
            + ": the data folder is empty: expected IDX, .npy or CSV files, or one image subfolder per class",
        e.getMessage());
    Files.createDirectories(dir.resolve("cat"));
    e =
        assertThrows(
            EdgeoptException.class, () -> Datasets.open(dir, Preprocessing.identity(), null, null));
    assertEquals(
        dir + ": expected PNG or JPEG images in the class subfolders, found none", e.getMessage());
  }

  @Test
  void aFolderNotInTheClassNamesIsInvalid() throws Exception {
    twoClasses(2, 2);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(dir, Preprocessing.identity(), List.of("cat", "dog"), null));
    assertEquals(
        dir.resolve("fish")
            + ": class 'fish' is not one the model can output (expected one of 2 class names or an index"
            + " below 2)",
        e.getMessage());
  }

  @Test
  void meanWithTwoValuesOnThreeChannelsIsRefused() throws Exception {
    twoClasses(4, 3);
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class,
            () -> Datasets.open(dir, Preprocessing.parse("mean=1:2"), null, null));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(
        "preprocessing 'channels=rgb,scale=1.0,mean=1.0:2.0,std=1.0,layout=nchw': mean has 2 values but image "
            + "folder "
            + dir
            + " (3 images) has 3 channels: expected 1 value or 3",
        e.getMessage());
  }

  @Test
  void grayscalePngIsOneChannelByDefault() throws Exception {
    DataFiles.grayPng(dir.resolve("a/1.png"), 4, 3, 200);
    DataFiles.grayPng(dir.resolve("b/2.png"), 4, 3, 50);
    Dataset d = Datasets.open(dir, Preprocessing.parse("scale=1/255"), null, null);
    assertArrayEquals(new long[] {1, 3, 4}, d.sampleShape());
    Batch b = all(d, 2).get(0);
    assertEquals(200f / 255f, b.input().toFloats()[0], 1e-6f);
    assertEquals(50f / 255f, b.input().toFloats()[12], 1e-6f);
  }

  @Test
  void grayscalePngWithRgbIsThreeChannels() throws Exception {
    DataFiles.grayPng(dir.resolve("a/1.png"), 4, 3, 200);
    Dataset d = Datasets.open(dir, Preprocessing.parse("channels=rgb"), null, null);
    assertArrayEquals(new long[] {3, 3, 4}, d.sampleShape());
    float[] x = all(d, 1).get(0).input().toFloats();
    assertEquals(200f, x[0]);
    assertEquals(200f, x[24], "the blue plane repeats the gray value");
  }

  @Test
  void numericFolderNamesAreClassIndices() throws Exception {
    DataFiles.png(dir.resolve("005/a.png"), 2, 2, RED);
    DataFiles.png(dir.resolve("010/b.png"), 2, 2, GREEN);
    DataFiles.png(dir.resolve("3/c.png"), 2, 2, GREEN);
    Dataset d = Datasets.open(dir, Preprocessing.parse("channels=rgb"), null, null);
    List<Integer> labels = new ArrayList<>();
    for (Batch b : all(d, 8)) {
      for (int l : b.labels()) {
        labels.add(l);
      }
    }
    // Folders sort as 005, 010, 3: each keeps its number, not its place.
    assertEquals(List.of(5, 10, 3), labels);
  }
}
