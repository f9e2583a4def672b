import { CairnError } from "../core/errors.js";
import { ParentCacheWriter, type CachedFile, type ParentCacheOptions } from "./parent-cache/parent-cache.js";

/** Where a backup writes its records for the next backup's parent cache (tree-builder.ts). */
export interface CacheSink {
  add(key: Buffer, rec: CachedFile): Promise<void>;
}

/**
 * The parent cache as a backup writes it: best effort. The cache only spares
 * the next backup from reading unchanged files again (docs/FORMAT.md §Local
 * cache), so a cache that cannot be created, written or published is reported
 * once through `report` and dropped; the backup goes on, and a snapshot
 * already saved is never failed for it (a retry would only record it twice).
 * Errors that are not the cache's own I/O (a record out of order) are bugs and
 * still throw.
 */
export class BestEffortCacheWriter implements CacheSink {
  private constructor(
    private writer: ParentCacheWriter | undefined,
    private readonly report: (problem: CairnError) => void,
  ) {}

  static async create(
    dir: string,
    tag: string,
    options: ParentCacheOptions,
    report: (problem: CairnError) => void,
  ): Promise<BestEffortCacheWriter> {
    try {
      return new BestEffortCacheWriter(await ParentCacheWriter.create(dir, tag, options), report);
    } catch (e) {
      report(cacheProblem(e));
      return new BestEffortCacheWriter(undefined, report);
    }
  }

  async add(key: Buffer, rec: CachedFile): Promise<void> {
    if (!this.writer) return;
    try {
      await this.writer.add(key, rec);
    } catch (e) {
      await this.drop(e);
    }
  }

  /** Publishes the cache for `snapshotId`; a failure is reported, never thrown. */
  async commit(snapshotId: string): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.commit(snapshotId).catch((e: unknown) => this.report(cacheProblem(e)));
  }

  async abort(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.abort();
  }

  private async drop(e: unknown): Promise<void> {
    const problem = cacheProblem(e);
    const w = this.writer;
    this.writer = undefined;
    await w?.abort();
    this.report(problem);
  }
}

/** The cache's own I/O errors are E_CACHE (parent-cache.ts); anything else is a bug and goes on up. */
function cacheProblem(e: unknown): CairnError {
  if (e instanceof CairnError && e.code === "E_CACHE") return e;
  throw e;
}
