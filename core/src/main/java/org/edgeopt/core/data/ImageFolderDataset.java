package org.edgeopt.core.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.edgeopt.core.EdgeoptException;

/**
 * A folder of images with one subfolder per class, as users collect field data. Classes are
 * numbered by the given class-name list, by the folder names when all are numbers, or in sorted
 * folder-name order; grayscale images are one channel unless the spec asks for rgb or bgr; images are decoded
 * only when their batch is read. Every image must have the size of the first one after
 * preprocessing, or the batch fails naming the file.
 */
public final class ImageFolderDataset implements Dataset {
  private final Path root;
  private final Preprocessing pre;
  private final List<Path> files = new ArrayList<>();
  private final List<Integer> labels = new ArrayList<>();
  private final long[] sampleShape;

  /**
   * Scans {@code root}; {@code classNames} may be null to number folders in sorted order, or,
   * when every folder is named by a number, to take those numbers as the class indices.
   */
  public ImageFolderDataset(Path root, List<String> classNames, Preprocessing pre)
      throws EdgeoptException {
    this.root = root;
    List<Path> dirs;
    try (Stream<Path> s = Files.list(root)) {
      dirs = s.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      throw EdgeoptException.invalid(root + ": cannot list the data folder: " + e.getMessage(), e);
    }
    if (dirs.isEmpty()) {
      throw EdgeoptException.invalid(
          root + ": expected one subfolder of images per class, found none");
    }
    // Folders named by numbers (000, 005, 010 ...) are class indices: numbering them in sorted
    // order would call folder 005 class 1 and mislabel every sample after the first gap.
    boolean numeric =
        classNames == null
            && dirs.stream().allMatch(d -> d.getFileName().toString().matches("\\d{1,9}"));
    for (int i = 0; i < dirs.size(); i++) {
      Path d = dirs.get(i);
      String cls = d.getFileName().toString();
      int label;
      if (numeric) {
        label = Integer.parseInt(cls);
      } else if (classNames == null) {
        label = i;
      } else {
        label = classNames.indexOf(cls);
        if (label < 0 && cls.matches("\\d+")) {
          label = Integer.parseInt(cls);
        }
        if (label < 0 || label >= classNames.size()) {
          throw EdgeoptException.invalid(
              d
                  + ": class '"
                  + cls
                  + "' is not one the model can output (expected one of "
                  + classNames.size()
                  + " class names or an index below "
                  + classNames.size()
                  + ")");
        }
      }
      try (Stream<Path> s = Files.list(d)) {
        for (Path f : s.filter(ImageFolderDataset::isImage).sorted().toList()) {
          files.add(f);
          labels.add(label);
        }
      } catch (IOException e) {
        throw EdgeoptException.invalid(d + ": cannot list images: " + e.getMessage(), e);
      }
    }
    if (files.isEmpty()) {
      throw EdgeoptException.invalid(
          root + ": expected PNG or JPEG images in the class subfolders, found none");
    }
    BufferedImage decoded = Images.decode(files.get(0));
    // Without channels= the first image decides, and every later one is converted to it.
    this.pre = Images.forImage(decoded, pre);
    int ch = Images.channels(this.pre);
    this.pre.requireChannels(ch, describe());
    BufferedImage first = Images.geometry(decoded, this.pre);
    sampleShape =
        pre.channelsLast()
            ? new long[] {first.getHeight(), first.getWidth(), ch}
            : new long[] {ch, first.getHeight(), first.getWidth()};
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(p)
        && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
  }

  @Override
  public String describe() {
    return "image folder " + root + " (" + files.size() + " images)";
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  @Override
  public Iterator<Batch> batches(int batchSize, int limit) {
    int per = (int) Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
    return new BatchReader(batchSize, Math.min(files.size(), limit), sampleShape) {
      @Override
      protected void read(int first, int n, float[] features, int[] out) {
        for (int i = 0; i < n; i++) {
          Path f = files.get(first + i);
          BufferedImage img = Images.geometry(Images.decode(f), pre);
          int ch = Images.channels(pre);
          if (img.getWidth() * img.getHeight() * ch != per) {
            throw new DataException(
                f
                    + ": expected an image of "
                    + Arrays.toString(sampleShape)
                    + " after preprocessing (like "
                    + files.get(0).getFileName()
                    + "), found "
                    + img.getWidth()
                    + "x"
                    + img.getHeight()
                    + "; add resize=/crop= to the preprocessing");
          }
          Images.toFloats(img, pre, features, i * per);
          out[i] = labels.get(first + i);
        }
      }
    };
  }
}
