import type { BlobId, BlobType } from "../core/ids.js";
import type { CompressedBlob } from "../repository/format/pack-codec.js";

/** What one upload session has written so far; a snapshot's summary reports it (snapshot-summary.ts). */
export interface BlobSaverStats {
  readonly blobsNew: number;
  readonly blobsDeduplicated: number;
  /** Raw bytes of the new blobs. */
  readonly bytesAdded: number;
  /** The new blobs' bytes as stored in packs (compressed where that paid), before sealing. */
  readonly bytesStored: number;
  readonly packsUploaded: number;
  /** Sealed pack bytes written to storage: what progress shows while the backup runs. */
  readonly bytesUploaded: number;
}

/**
 * The write side of one backup: a deduplicating blob sink that the repository
 * lends for the length of BackupRepository.withUploader (src/repository/uploader.ts
 * is the one implementation). The tree builder and the file saver store
 * through it; they never see packs, the index or storage.
 *
 * Contract:
 * - `has(id)` is true when the repository holds a copy this session may
 *   reference, or the blob is already queued in this session. A copy in a pack
 *   a prune has condemned does not count (FORMAT.md §Prune).
 * - `add` and `addCompressed` store a blob unless `has(id)`, resolving to true
 *   when it was new. The saver owns the bytes from the call on: it may move the
 *   buffer to a worker thread, after which the caller's view reads as empty.
 *   They may wait while packs upload (back-pressure) and reject when an earlier
 *   upload failed.
 * - `addCompressed` takes bytes the caller already compressed and verified.
 * - Nothing added is safe to reference from a snapshot until the session has
 *   ended (FORMAT.md §Write order).
 */
export interface BlobSaver {
  has(id: BlobId): boolean;
  add(type: BlobType, id: BlobId, raw: Uint8Array): Promise<boolean>;
  addCompressed(type: BlobType, id: BlobId, rawLength: number, c: CompressedBlob): Promise<boolean>;
  readonly stats: BlobSaverStats;
}
