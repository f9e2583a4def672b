import { open, unlink, link, type FileHandle } from "node:fs/promises";
import { IntegrityError } from "../core/errors.js";
import { fromWireError } from "../workers/wire-error.js";
import { describeError } from "./shared/describe-error.js";
import type { Entry } from "./shared/entry.js";
import { CREATE_NEW, type EncodedBlob } from "./writer/file-write-job.js";
import { SMALL_FILE } from "./writer/large-file-slots.js";
import { mtimeSeconds, type MetadataWriter } from "./metadata-writer.js";
import type { RestoreOutcome } from "./restore-outcome.js";
import type { RestoreWriter } from "./writer/restore-writer.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";
import { SplitFile } from "./split-file.js";

/**
 * Restores regular files: whole (small ones on a writer thread, large ones
 * blob by blob), in parts (SplitFile), or as a hardlink to an inode
 * restored earlier in this run, which it remembers.
 */
export class FileRestorer {
  /** "dev:ino" -> path of the first restored file of that inode. */
  private readonly inodes = new Map<string, Buffer>();

  constructor(
    private readonly reader: SnapshotReader,
    private readonly writer: RestoreWriter,
    private readonly metadata: MetadataWriter,
    private readonly outcome: Pick<RestoreOutcome, "fileRestored" | "hardlinkRestored" | "warn">,
  ) {}

  /**
   * Restores one regular file, or a hardlink to an inode restored earlier in
   * this run. On failure (damaged blob, wrong length) the partial file is
   * deleted and the error thrown, so the caller reports it and carries on.
   */
  async restore(e: Entry): Promise<void> {
    const inode = inodeKey(e);
    const first = inode === undefined ? undefined : this.inodes.get(inode);
    if (first !== undefined) {
      await link(first, e.path);
      this.outcome.hardlinkRestored();
    } else {
      await this.writeNewFile(e);
      if (inode !== undefined) this.inodes.set(inode, e.path);
      this.outcome.fileRestored(e.node.size ?? 0);
    }
  }

  /** A plain (not hardlinked) file to be written in `parts` by SplitFile.writePart, one call per part. */
  split(e: Entry, parts: number): SplitFile {
    return new SplitFile(e, parts, this.writer, this.metadata, () => this.outcome.fileRestored(e.node.size ?? 0));
  }

  private async writeNewFile(e: Entry): Promise<void> {
    if ((e.node.size ?? 0) <= SMALL_FILE) return this.writeSmallFile(e);
    await this.writer.inLargeSlot(() => this.writeLargeFile(e));
  }

  private async writeLargeFile(e: Entry): Promise<void> {
    // 0o600 until the data is complete: a half-written file is never readable by others.
    const fh = await open(e.path, CREATE_NEW, 0o600);
    try {
      await this.fillFile(fh, e);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(e.path).catch(() => undefined);
      throw err;
    }
    await fh.close();
  }

  private async fillFile(fh: FileHandle, e: Entry): Promise<void> {
    const size = e.node.size ?? 0;
    const written = await this.writer.writeBlobs(fh, e.node.content ?? []);
    if (written !== size) {
      throw new IntegrityError(
        "file",
        e.display,
        `content is ${written} bytes but the tree records ${size}; file not restored`,
      );
    }
    // Extends over trailing zero blobs without writing them: the file stays sparse.
    await fh.truncate(size);
    await this.metadata.applyToHandle(fh, e);
  }

  /**
   * Small files, which are most files: read the blobs here (usually from a
   * cached pack), then a file-writer worker creates, writes and stamps the file
   * (file-writer-pool.ts). Thread-pool round trips per file cost far more than
   * the syscalls themselves, and the syscalls themselves are most of a restore
   * of many small files: on the workers they overlap with decoding.
   */
  private async writeSmallFile(e: Entry): Promise<void> {
    const content = e.node.content ?? [];
    const size = e.node.size ?? 0;
    const reader = this.reader;
    // With a reader that hands out stored blobs, decompressing and verifying move to the writer thread too.
    const encoded = reader.readStoredBlob && reader.exportBlobIdKey;
    const blobs: (Uint8Array | EncodedBlob)[] = [];
    let length = 0;
    for (const id of content) {
      if (encoded) {
        const s = await reader.readStoredBlob!(id);
        blobs.push({ ...s, id }); // copied when the batch is sent (FileWriterPool)
        length += s.rawLength;
      } else {
        const b = await reader.readBlob(id);
        blobs.push(b);
        length += b.length;
      }
    }
    if (length !== size)
      throw new IntegrityError(
        "file",
        e.display,
        `content is ${length} bytes but the tree records ${size}; file not restored`,
      );
    const r = await this.writer.writeFile({
      path: e.path,
      blobs,
      size,
      mode: this.metadata.permissionBits(e),
      owner: this.metadata.owner(e),
      mtime: mtimeSeconds(e.node.mtimeNs),
    });
    if (!r.ok) throw fromWireError(r.error);
    if (r.metadataError) {
      this.outcome.warn(e.display, `metadata not restored: ${describeError(fromWireError(r.metadataError))}`);
    }
  }
}

function inodeKey(e: Entry): string | undefined {
  const { links, dev, ino } = e.node;
  return links !== undefined && links > 1 && dev !== undefined && ino !== undefined ? `${dev}:${ino}` : undefined;
}
