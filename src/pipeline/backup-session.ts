import { gearTable } from "../chunker/gear-table.js";
import { inlineCodec, type PackCodec } from "../repository/format/pack-codec.js";
import type { ParentCacheReader } from "./parent-cache/parent-cache.js";
import type { BackupRepository } from "./backup-repository.js";
import type { BlobSaver } from "./blob-saver.js";
import { ExcludeMatcher } from "../fs/exclude.js";
import { FileSaver } from "./file-saver.js";
import type { BackupCounters, BackupEvents } from "./progress.js";
import { inlineSmallFileCodec, SmallFileBatcher } from "./small-file-batcher.js";
import type { WalkContext } from "./walk.js";
import { WorkerCodec } from "./worker-codec.js";
import { ReadAhead } from "./read-ahead.js";

/**
 * What every kind of backup (a files tree, a composed snapshot of streams and
 * paths) reads and encodes with: the codec workers (or this thread with
 * `workers: 0`), the file saver, and the walk's context, so that both get the
 * same pipeline: small files batched and large files chunked on the workers.
 */
export class BackupSession {
  readonly codec: PackCodec;
  private readonly workers: WorkerCodec | undefined;
  private readonly gear: Uint32Array;
  private readonly readAhead: ReadAhead | undefined;

  constructor(
    private readonly repo: Pick<BackupRepository, "agent" | "config">,
    workers?: number,
  ) {
    this.gear = gearTable(repo.agent.gearKey);
    this.workers =
      workers === 0
        ? undefined
        : new WorkerCodec(workers, repo.agent.exportBlobIdKey(), { gear: this.gear, params: repo.config.chunker });
    this.codec = this.workers ?? inlineCodec;
    this.readAhead = this.workers ? new ReadAhead() : undefined;
  }

  /** The saver and walk context for one uploader session; progress is reported at most every 200 ms. */
  tools(
    up: BlobSaver,
    counters: BackupCounters,
    o: {
      excludes?: string[];
      parentCache?: ParentCacheReader;
      signal?: AbortSignal;
      onProgress?: BackupEvents["onProgress"];
    },
  ): { saver: FileSaver; walk: WalkContext } {
    const { repo, workers } = this;
    let lastTick = 0;
    const saver = new FileSaver(repo.agent, this.gear, repo.config.chunker, up, (n) => {
      counters.bytesRead += n;
      const now = Date.now();
      if (o.onProgress && now - lastTick > 200) {
        lastTick = now;
        o.onProgress({ ...counters, bytesUploaded: up.stats.bytesUploaded, currentPath: "" });
      }
    });
    const walk: WalkContext = {
      excludes: new ExcludeMatcher(o.excludes ?? []),
      parentCache: o.parentCache,
      has: (id) => up.has(id),
      batcher: new SmallFileBatcher(
        workers ?? inlineSmallFileCodec(repo.agent.exportBlobIdKey()),
        repo.config.compressionLevel,
        this.readAhead,
      ),
      smallFileLimit: saver.smallFileLimit,
      // Chunks come back raw: only those the repository lacks cost a compression (on any free worker).
      startLargeFile: workers ? (abs) => workers.chunkLargeFile(abs, repo.config.compressionLevel) : undefined,
      signal: o.signal,
    };
    return { saver, walk };
  }

  async close(): Promise<void> {
    await Promise.all([this.codec.close(), this.readAhead?.close()]);
  }
}
