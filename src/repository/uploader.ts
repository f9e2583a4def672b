import type { BlobId } from "../ids.js";
import { BlobType } from "../ids.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeRecipient } from "../crypto/age-keys.js";
import type { Storage } from "../storage/storage.js";
import type { BlobIndex } from "./blob-index.js";
import { IndexWriter } from "./index-writer.js";
import { PackWriter, type UploadedPack } from "./pack-writer.js";
import type { RepoConfig } from "./repo-config.js";
import { inlineCodec, type PackCodec } from "./pack-codec.js";

export interface UploaderOptions {
  /** Where compression and sealing run (worker threads or inline). */
  codec?: PackCodec;
  maxCompressing?: number;
  maxInFlight?: number;
}

export interface UploadStats {
  blobsNew: number;
  blobsDeduplicated: number;
  bytesAdded: number;
  bytesStored: number;
  packsUploaded: number;
  bytesUploaded: number;
}

/**
 * Deduplicating blob sink for one backup session: data and tree blobs go to
 * data packs (encrypted to the recipients), skeletons to meta packs (agent
 * key). Blobs already indexed or already queued in this session are skipped.
 */
export class Uploader {
  readonly stats: UploadStats = { blobsNew: 0, blobsDeduplicated: 0, bytesAdded: 0, bytesStored: 0, packsUploaded: 0, bytesUploaded: 0 };
  private readonly queued = new Set<string>();
  private readonly data: PackWriter;
  /** Trees get packs of their own (same encryption as data) so listing a snapshot touches few packs. */
  private readonly trees: PackWriter;
  private readonly meta: PackWriter;
  readonly indexWriter: IndexWriter;

  constructor(storage: Storage, private readonly index: BlobIndex, agent: AgentKey, recipients: readonly AgeRecipient[], config: RepoConfig, o: UploaderOptions = {}) {
    this.indexWriter = new IndexWriter(storage, agent);
    const common = {
      storage,
      codec: o.codec ?? inlineCodec,
      packSize: config.packSize,
      compressionLevel: config.compressionLevel,
      maxCompressing: o.maxCompressing ?? 4,
      maxInFlight: o.maxInFlight ?? 2,
      onUploaded: (p: UploadedPack) => this.uploaded(p),
      onStored: (n: number) => (this.stats.bytesStored += n),
      onBytes: (n: number) => (this.stats.bytesUploaded += n),
    };
    this.data = new PackWriter({ ...common, kind: "data", recipients });
    this.trees = new PackWriter({ ...common, kind: "data", recipients });
    this.meta = new PackWriter({ ...common, kind: "meta", recipients: [agent.recipient] });
  }

  has(id: BlobId): boolean {
    return this.queued.has(id) || this.index.has(id);
  }

  /**
   * Store a blob unless the repository already has it; returns true when it
   * was new. The uploader owns `raw` from this call on: it may move its buffer
   * to a worker thread, after which the caller's view reads as empty.
   */
  async add(type: BlobType, id: BlobId, raw: Uint8Array): Promise<boolean> {
    this.indexWriter.throwIfFailed();
    if (this.has(id)) {
      this.stats.blobsDeduplicated++;
      return false;
    }
    this.queued.add(id);
    const writer = type === BlobType.Skeleton ? this.meta : type === BlobType.Tree ? this.trees : this.data;
    this.stats.blobsNew++;
    this.stats.bytesAdded += raw.byteLength;
    await writer.add(type, id, raw);
    return true;
  }

  /** Upload everything buffered and write the index; after this the blobs are safe to reference. */
  async finish(): Promise<void> {
    await Promise.all([this.data.flush(), this.trees.flush(), this.meta.flush()]);
    await this.indexWriter.finish();
  }

  /**
   * After a failed or interrupted run: let started uploads finish, then index
   * the packs that made it (best effort), so the next run reuses them.
   */
  async abandon(): Promise<void> {
    await Promise.all([this.data.settle(), this.trees.settle(), this.meta.settle()]);
    await this.indexWriter.finish().catch(() => undefined);
  }

  private uploaded(p: UploadedPack): void {
    this.stats.packsUploaded++;
    const packIndex = this.index.addPack(p.id, { size: p.size, headerLength: p.headerLength, kind: p.kind });
    for (const e of p.entries) {
      const id = e.id.toString("hex") as BlobId;
      this.index.add(id, { type: e.type, packIndex, offset: e.offset, length: e.length, rawLength: e.rawLength, compressed: e.compressed });
      this.queued.delete(id);
    }
    this.indexWriter.add(p);
  }
}
