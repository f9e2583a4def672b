import type { Clock } from "../core/clock.js";
import type { BlobId } from "../core/ids.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import type { Storage } from "../storage/storage.js";
import type { ReadonlyBlobIndex } from "./blob-index.js";
import type { PruneMark } from "./prune-mark.js";
import type { RepoConfig } from "./format/repo-config.js";
import type { RepositoryWarning } from "./repository-warning.js";
import type { Snapshot } from "./format/snapshot-record.js";
import type { Uploader } from "./uploader.js";

/**
 * The repository as maintenance sees it: everything prune and check
 * (src/maintenance/) need from an open repository, obtained with
 * `Repository.maintenance()`. The rest they take from the format modules
 * (layout, index-file, prune-mark, skeleton, snapshot-record, pack-format).
 * Backup and restore never see this surface; maintenance never sees the
 * repository's own fields.
 *
 * @example
 * ```ts
 * const m = repo.maintenance();
 * const marks = await m.loadMarks(); // marks, then snapshots, then the index (FORMAT.md §Prune)
 * const snapshots = await m.listSnapshots();
 * const index = await m.loadIndex();
 * const livePacks = index.blobs.packCount - index.condemned.size;
 * ```
 */
export interface RepositoryMaintenance {
  /**
   * The store, by object key (layout.ts): listed by prefix with sizes and
   * store times, read, written (index files, prune marks, repacked packs),
   * deleted, its retention extended. Maintenance is the only code that
   * deletes, and it must keep FORMAT.md §Prune's order: nothing is deleted in
   * the run that condemned it, and new index files and the mark that
   * supersedes the old ones are written before anything they replace is
   * removed.
   */
  readonly storage: Storage;
  /** The repository's config: its prune protocol (docs/RELIABILITY.md invariant 12), pack size and chunker parameters. */
  readonly config: RepoConfig;
  /** Seals and opens index files, prune marks and snapshot records, opens meta packs, and computes blob IDs. */
  readonly agent: AgentKey;
  /** This host's clock. Every age prune judges is a store time measured by it, so prune first checks that the two agree. */
  readonly clock: Clock;
  /**
   * The identities that decrypt data packs: present only when the repository
   * was opened with a restore identity. Without them data packs can be neither
   * verified (check --read-data) nor repacked; meta packs open with the agent key.
   */
  readonly dataIdentities: readonly AgeIdentity[] | undefined;
  /**
   * The prune marks, read once: the same marks `loadIndex` applies. A damaged
   * mark is skipped with a warning and listed in `LoadedIndexView.damaged`.
   */
  loadMarks(signal?: AbortSignal): Promise<readonly PruneMark[]>;
  /**
   * Load the index once, after the marks (FORMAT.md §Write order, in reverse),
   * and return it read-only. Later calls return the same index without reading
   * anything, so a prune calls `loadMarks` and lists snapshots before the
   * first. It is the index backups and reads of this Repository use: a backup
   * through the same handle adds the packs it writes.
   */
  loadIndex(signal?: AbortSignal): Promise<LoadedIndexView>;
  /** Every readable snapshot, oldest first; a damaged record is skipped with a warning. */
  listSnapshots(signal?: AbortSignal): Promise<Snapshot[]>;
  /** One blob through the loaded index (loading it first if needed), verified against its ID. */
  readBlob(id: BlobId, signal?: AbortSignal): Promise<Buffer>;
  /**
   * An uploader that writes packs and their index files as a backup does
   * (packs first: FORMAT.md §Write order) but deduplicates against nothing
   * stored: repack copies blobs out of packs that are about to be condemned.
   * With `dataPacks`, data blobs are encrypted to the data recipient; that
   * throws, naming the damage, when no key file is intact.
   */
  freshUploader(dataPacks: boolean): Uploader;
}

/**
 * The index as `RepositoryMaintenance.loadIndex` loaded it: what prune walks
 * to decide the fate of every pack, read-only.
 */
export interface LoadedIndexView {
  /**
   * Where each blob lies: live packs first, then the packs prune marks condemn
   * (still readable until deleted), so a blob's first location is a live copy
   * whenever one exists. Packs an index file lists but the store lacks are left out.
   */
  readonly blobs: ReadonlyBlobIndex;
  /** The index files read (those no mark supersedes): a prune's new mark supersedes exactly these. */
  readonly files: readonly string[];
  /** Packs (pack numbers in `blobs`) a prune mark condemns: readable, never deduplicated against. */
  readonly condemned: ReadonlySet<number>;
  /**
   * Pack IDs an index file lists that the store did not have when listed
   * (deleted or lost). Still evidence that they were indexed: prune never
   * treats such a pack as unindexed.
   */
  readonly indexedButMissing: ReadonlySet<string>;
  /**
   * Index files and prune marks skipped as damaged while loading (also
   * repository warnings). Prune refuses to run on a picture missing them.
   */
  readonly damaged: readonly RepositoryWarning[];
}
