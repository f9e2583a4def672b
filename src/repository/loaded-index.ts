import { IntegrityError, NotFoundError } from "../core/errors.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { Storage } from "../storage/storage.js";
import { BlobIndex } from "./blob-index.js";
import { openIndex, type IndexPack } from "./format/index-file.js";
import { addToBlobIndex } from "./blob-index.js";
import { DATA_PREFIX, idOfKey, INDEX_PREFIX, isObjectKey, META_PREFIX } from "./format/layout.js";
import { listMarks, type PruneMark } from "./prune-mark.js";
import type { LoadedIndexView } from "./repository-maintenance.js";
import type { RepositoryWarning } from "./repository-warning.js";

/**
 * The repository's index as this process loaded it, with the prune marks read
 * before it: the state behind deduplication (Uploader), reads (BlobReader),
 * a backup's commit check (Repository) and maintenance, which sees it read-only
 * (LoadedIndexView). Marks and index are each read once; this class alone
 * fills them.
 */
export class LoadedIndex implements LoadedIndexView {
  readonly blobs = new BlobIndex();
  readonly condemned = new Set<number>();
  readonly files: string[] = [];
  readonly indexedButMissing = new Set<string>();
  readonly damaged: RepositoryWarning[] = [];
  /** Prune marks seen when the index was loaded; a backup re-checks for newer ones before its commit. */
  private readonly knownMarks = new Set<string>();
  private marks: PruneMark[] = [];
  private indexLoaded = false;
  private marksLoaded = false;

  constructor(
    private readonly storage: Storage,
    private readonly agent: AgentKey,
    /** The repository's warning list (deduplicated there, and shown by the CLI). */
    private readonly warn: (w: RepositoryWarning) => void,
  ) {}

  /** Whether this mark was read when the index was loaded (its condemned packs are in `condemned`). */
  knowsMark(key: string): boolean {
    return this.knownMarks.has(key);
  }

  /**
   * List and read the prune marks (once). A prune calls this first, judges
   * which marks have expired, lists snapshots and only then loads the index
   * (FORMAT.md §Prune, phase 2); everyone else gets it through load.
   */
  async loadMarks(signal?: AbortSignal): Promise<PruneMark[]> {
    if (!this.marksLoaded) {
      this.marks = await listMarks(this.storage, this.agent, signal, (key, e) =>
        this.skipDamaged({ kind: "prune mark", key, message: `${e.message}; ignored` }),
      );
      this.marksLoaded = true;
    }
    return this.marks;
  }

  /**
   * Load every index file into memory (once). A damaged index file is skipped
   * with a warning, and so are packs the index lists but storage no longer
   * has: their blobs count as absent, so the next backup uploads them again
   * (docs/RELIABILITY.md S12) instead of referencing data that is gone.
   *
   * Listing order is the reverse of the write order (FORMAT.md §Write order:
   * packs, then index, then snapshot; a prune writes new index files, then
   * its mark, then deletes the old ones): marks, then index keys, then packs,
   * then the index files are read. So every pack an index file we read lists
   * was uploaded before we listed packs: one missing from that listing was
   * deleted, not merely uploaded a moment after we looked.
   */
  async load(signal?: AbortSignal): Promise<void> {
    if (this.indexLoaded) return;
    const marks = await this.loadMarks(signal);
    const superseded = new Set(marks.flatMap((m) => m.body.objects));
    const indexKeys: string[] = [];
    // Stray objects (FORMAT.md §Layout) are not cairn's: neither index files nor packs.
    for await (const o of this.storage.list(INDEX_PREFIX, signal))
      if (isObjectKey(o.key) && !superseded.has(o.key)) indexKeys.push(o.key);
    const stored = new Set<string>();
    for (const prefix of [DATA_PREFIX, META_PREFIX])
      for await (const o of this.storage.list(prefix, signal)) if (isObjectKey(o.key)) stored.add(idOfKey(o.key));
    const missing = new Set<string>();
    // A pack condemned without a blob list (unindexed when marked) that an index file lists now was a running backup's: that is newer evidence, it stays live.
    const condemnedIds = new Set(marks.flatMap((m) => m.body.packs.filter((p) => p.blobs.length > 0).map((p) => p.id)));
    const present = (p: IndexPack) => stored.has(p.id) || (missing.add(p.id), false);
    for (const key of indexKeys) {
      try {
        const body = openIndex(this.agent, await this.storage.get(key, undefined, signal), key);
        addToBlobIndex(this.blobs, body, (p) => !condemnedIds.has(p.id) && present(p));
        this.files.push(key);
      } catch (e) {
        // Listed, then deleted by a prune that superseded it: the prune's new index files hold its live packs.
        if (e instanceof NotFoundError) continue;
        if (!(e instanceof IntegrityError)) throw e;
        this.skipDamaged({ kind: "index", key, message: `${e.message}; skipped (its blobs count as absent)` });
      }
    }
    this.addCondemned(marks, stored);
    for (const id of missing) this.indexedButMissing.add(id);
    for (const id of missing)
      this.warn({
        kind: "pack",
        key: id,
        message: "listed in the index but missing from storage; its blobs count as absent (run `cairn check`)",
      });
    this.indexLoaded = true;
  }

  /**
   * Condemned packs go in after the live ones, so a blob with a live copy is
   * always found there first. Rows listing blobs go in before rows without
   * (a pack condemned as unindexed: placeholder header length), so a pack
   * that one mark condemned unindexed and a later one with its blobs is read
   * through the full row.
   */
  private addCondemned(marks: readonly PruneMark[], stored: ReadonlySet<string>): void {
    for (const m of marks) this.knownMarks.add(m.key);
    const rows = marks.flatMap((m) => m.body.packs).filter((p) => stored.has(p.id));
    const add = (p: IndexPack) => {
      addToBlobIndex(this.blobs, { version: 1, packs: [p] });
      this.condemned.add(this.blobs.addPack(p.id, p));
    };
    for (const p of rows) if (p.blobs.length > 0) add(p);
    for (const p of rows) if (p.blobs.length === 0 && this.blobs.findPack(p.id) < 0) add(p);
  }

  private skipDamaged(w: RepositoryWarning): void {
    this.damaged.push(w);
    this.warn(w);
  }
}
