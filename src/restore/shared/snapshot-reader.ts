import type { BlobId } from "../../core/ids.js";
import type { Tree } from "../../repository/format/tree.js";
import type { StoredBlob } from "../../repository/format/blob-decode.js";

/**
 * What restore, ls and dump need from a repository: trees and data blobs by id.
 * The repository implements it; tests use an in-memory double.
 *
 * Contract:
 * - `loadTree` returns a decoded, authenticated Tree, or throws IntegrityError
 *   when the tree blob is damaged or missing. Its contents are still untrusted
 *   input for restore: names and targets are validated by the caller.
 * - `readBlob` returns one data blob (at most 8 MiB), verified against its id,
 *   or throws IntegrityError when damaged or missing. Callers must not mutate
 *   the returned bytes (a double may hand out the same buffer twice).
 */
export interface SnapshotReader {
  loadTree(id: BlobId): Promise<Tree>;
  readBlob(id: BlobId): Promise<Uint8Array>;
  /**
   * Optional, together with exportBlobIdKey: a data blob as stored (still
   * compressed, not yet verified against its id), so restore can decompress
   * and verify it on the thread that writes the file. Readers without them
   * are read through readBlob.
   */
  readStoredBlob?(id: BlobId): Promise<StoredBlob>;
  exportBlobIdKey?(): Uint8Array;
  /**
   * Optional, together with expectReads: where a data blob is stored (a pack
   * number and an offset in it; only their order matters) and its length
   * once decoded, or undefined. Restore then writes a window of files in the
   * order their data is stored, a file spanning packs in parts, and
   * announces the window's reads first, so each pack is fetched once.
   */
  storedAt?(id: BlobId): { pack: number; offset: number; rawLength: number } | undefined;
  /** Optional: the data blobs about to be read, once per read (a hint for caching; readers may ignore it). */
  expectReads?(ids: Iterable<BlobId>): void;
  /** Optional: a data blob that will be needed soon; the reader may start fetching it (or its pack) now. */
  prefetch?(id: BlobId): void;
}
