package org.edgeopt.deploy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The one canonical zip encoding of a bundle: entries sorted by name, stored uncompressed, every
 * timestamp 1980-01-01T00:00, no extra fields, no comment.
 *
 * <p>Because the encoding is canonical, the same entries always give the same bytes (a
 * reproducible bundle), and a verifier can re-encode what it read and demand the identical
 * bytes: a changed byte anywhere in the archive, header or central directory included, is then
 * caught even where it alters no entry's content. Entries are stored, not deflated: model weights
 * barely compress, and stored bytes do not depend on the zlib build.
 */
final class BundleArchive {
  /** The fixed modification time of every entry (the earliest a zip header can hold). */
  private static final LocalDateTime EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0);

  /** The most entries a bundle may hold: a bundle is a handful of files. */
  static final int MAX_ENTRIES = 1000;

  private BundleArchive() {}

  /** Where each entry's local header starts, and where the central directory starts. */
  record Layout(
      byte[] bytes, List<String> names, List<Integer> headerOffsets, int centralDirectory) {
    /** Returns what lies at {@code offset}: an entry (header or content) or the central directory. */
    String describe(int offset) {
      if (offset >= centralDirectory) {
        return "the zip central directory";
      }
      int i = Collections.binarySearch(headerOffsets, offset);
      int entry = i >= 0 ? i : -i - 2;
      return entry < 0 ? "the start of the archive" : "entry " + names.get(entry);
    }
  }

  /** Encodes {@code entries} canonically. */
  static Layout encode(SortedMap<String, byte[]> entries) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    List<String> names = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    try (ZipOutputStream zip = new ZipOutputStream(buffer)) {
      zip.setMethod(ZipOutputStream.STORED);
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        byte[] data = e.getValue();
        ZipEntry z = new ZipEntry(e.getKey());
        z.setMethod(ZipEntry.STORED);
        z.setTimeLocal(EPOCH);
        z.setSize(data.length);
        z.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        z.setCrc(crc.getValue());
        zip.flush();
        names.add(e.getKey());
        offsets.add(buffer.size());
        zip.putNextEntry(z);
        zip.write(data);
        zip.closeEntry();
      }
      zip.flush();
      int central = buffer.size();
      zip.finish();
      return new Layout(buffer.toByteArray(), List.copyOf(names), List.copyOf(offsets), central);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
  }

  /**
   * Decodes the entries of an archive, in the order they appear.
   *
   * @throws BundleException naming the entry (or the archive) that cannot be read
   */
  static SortedMap<String, byte[]> decode(byte[] archive) throws BundleException {
    SortedMap<String, byte[]> entries = new TreeMap<>();
    String current = null;
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(archive))) {
      ZipEntry z;
      while ((z = in.getNextEntry()) != null) {
        current = z.getName();
        if (z.isDirectory()
            || current.isEmpty()
            || current.startsWith("/")
            || current.contains("..")
            || current.contains("\\")) {
          throw new BundleException(current, "expected a plain relative file name in the bundle");
        }
        byte[] data = in.readAllBytes();
        if (entries.put(current, data) != null) {
          throw new BundleException(current, "appears twice in the bundle");
        }
        if (entries.size() > MAX_ENTRIES) {
          throw new BundleException(
              null, "holds more than " + MAX_ENTRIES + " entries: expected a handful");
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new BundleException(current, "cannot be read from the zip archive: " + e.getMessage());
    }
    if (entries.isEmpty()) {
      throw new BundleException(
          null, "is not a zip archive with entries: expected an edgeopt bundle");
    }
    return entries;
  }
}
