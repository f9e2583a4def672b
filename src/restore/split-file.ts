import { constants } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { IntegrityError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import type { Entry } from "./shared/entry.js";
import { CREATE_NEW } from "./writer/file-write-job.js";
import { SMALL_FILE } from "./writer/large-file-slots.js";
import type { MetadataWriter } from "./metadata-writer.js";
import type { RestoreWriter } from "./writer/restore-writer.js";

/** Opens a file this restore created, for one more part: never through a symlink put in its place. */
const WRITE_EXISTING = constants.O_WRONLY | constants.O_NOFOLLOW;

/**
 * A file whose blobs lie in more than one pack, restored in parts (a run of
 * consecutive blobs in one pack each) so that each part is written while its
 * pack is the one being read (restore-window.ts) and no pack is fetched again
 * for a file that spans it and others. The first part to run creates the file
 * (mode 0600, never over an existing entry); the last one to finish truncates
 * it to its size, applies its metadata and calls `completed`, or, if any part
 * failed, deletes it and reports the first error. A file left unfinished by
 * an abort is deleted when the writer closes (RestoreWriter.close).
 */
export class SplitFile {
  private created?: Promise<void>;
  private error?: unknown;
  private remaining: number;

  constructor(
    readonly entry: Entry,
    parts: number,
    private readonly writer: Pick<RestoreWriter, "writeBlobs" | "inLargeSlot" | "started" | "settled">,
    private readonly metadata: Pick<MetadataWriter, "applyToHandle">,
    private readonly completed: () => void,
  ) {
    this.remaining = parts;
  }

  /** Write `content` (the file's blobs from `position` on); the last part to finish completes the file or throws its error. */
  async writePart(content: readonly BlobId[], position: number, length: number): Promise<void> {
    this.writer.started(this);
    try {
      if (this.error === undefined) {
        if (length > SMALL_FILE) await this.writer.inLargeSlot(() => this.write(content, position, length));
        else await this.write(content, position, length);
      }
    } catch (err) {
      this.error ??= err;
    }
    if (--this.remaining > 0) return;
    this.writer.settled(this);
    if (this.error !== undefined) {
      await this.remove();
      throw this.error;
    }
    await this.finish();
  }

  /** Delete what was written (after a failed part, or an abort before the last part). */
  async remove(): Promise<void> {
    if (this.created === undefined) return;
    await this.created.catch(() => undefined);
    await unlink(this.entry.path).catch(() => undefined);
  }

  private async write(content: readonly BlobId[], position: number, length: number): Promise<void> {
    // 0o600 until the data is complete: a half-written file is never readable by others.
    await (this.created ??= open(this.entry.path, CREATE_NEW, 0o600).then((fh) => fh.close()));
    const fh = await open(this.entry.path, WRITE_EXISTING);
    try {
      const written = await this.writer.writeBlobs(fh, content, position);
      if (written !== length) {
        throw new IntegrityError(
          "file",
          this.entry.display,
          `a part at offset ${position} is ${written} bytes but the index records ${length}; file not restored`,
        );
      }
    } finally {
      await fh.close();
    }
  }

  private async finish(): Promise<void> {
    const e = this.entry;
    const size = e.node.size ?? 0;
    try {
      const fh = await open(e.path, WRITE_EXISTING);
      try {
        // Extends over trailing zero blobs without writing them: the file stays sparse.
        await fh.truncate(size);
        await this.metadata.applyToHandle(fh, e);
      } finally {
        await fh.close();
      }
    } catch (err) {
      await this.remove();
      throw err;
    }
    this.completed();
  }
}
