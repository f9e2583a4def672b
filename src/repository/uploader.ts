import type { BlobId } from "../core/ids.js";
import { blobIdOfDigest, BlobType } from "../core/ids.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeRecipient } from "../crypto/age-keys.js";
import type { Storage } from "../storage/storage.js";
import type { BlobIndex } from "./blob-index.js";
import { IndexWriter } from "./index-writer.js";
import { PackWriter, type UploadedPack } from "./pack-writer.js";
import type { RepoConfig } from "./format/repo-config.js";
import { inlineCodec, type CompressedBlob, type PackCodec } from "./format/pack-codec.js";

export interface UploaderOptions {
  /** Where compression and sealing run (worker threads or inline). */
  codec?: PackCodec;
  maxCompressing?: number;
  maxInFlight?: number;
  /**
   * Packs condemned by a prune mark (packIndex in the index): their blobs
   * count as absent, so this session stores them again instead of
   * referencing a pack a prune may delete (FORMAT.md §Prune).
   */
  condemned?: ReadonlySet<number>;
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
  readonly stats: UploadStats = {
    blobsNew: 0,
    blobsDeduplicated: 0,
    bytesAdded: 0,
    bytesStored: 0,
    packsUploaded: 0,
    bytesUploaded: 0,
  };
  private readonly queued = new Set<string>();
  /** Blobs stored again because their only indexed copy is condemned (the index keeps its first location). */
  private readonly restored = new Set<string>();
  /** Every pack this session relies on (packIndex): ones it deduplicated against and ones it wrote. Checked against prune marks before the commit. */
  readonly referencedPacks = new Set<number>();
  private readonly condemned: ReadonlySet<number>;
  private readonly data: PackWriter;
  /** Trees get packs of their own (same encryption as data) so listing a snapshot touches few packs. */
  private readonly trees: PackWriter;
  private readonly meta: PackWriter;
  readonly indexWriter: IndexWriter;

  constructor(
    storage: Storage,
    private readonly index: BlobIndex,
    agent: AgentKey,
    recipients: readonly AgeRecipient[],
    config: RepoConfig,
    o: UploaderOptions = {},
  ) {
    this.indexWriter = new IndexWriter(storage, agent);
    this.condemned = o.condemned ?? new Set();
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
    if (this.queued.has(id) || this.restored.has(id)) return true;
    const loc = this.index.get(id);
    if (!loc || this.condemned.has(loc.packIndex)) return false;
    this.referencedPacks.add(loc.packIndex);
    return true;
  }

  /**
   * Store a blob unless the repository already has it; returns true when it
   * was new. The uploader owns `raw` from this call on: it may move its buffer
   * to a worker thread, after which the caller's view reads as empty.
   */
  async add(type: BlobType, id: BlobId, raw: Uint8Array): Promise<boolean> {
    const writer = this.claim(type, id, raw.byteLength);
    if (writer) await writer.add(type, id, raw);
    return writer !== undefined;
  }

  /** As `add`, for a blob already compressed (and verified) by the caller, e.g. on a worker thread. */
  async addCompressed(type: BlobType, id: BlobId, rawLength: number, c: CompressedBlob): Promise<boolean> {
    const writer = this.claim(type, id, rawLength);
    if (writer) await writer.addCompressed(type, id, rawLength, c);
    return writer !== undefined;
  }

  /** The writer for a new blob (now queued), or undefined for a duplicate. */
  private claim(type: BlobType, id: BlobId, rawLength: number): PackWriter | undefined {
    this.indexWriter.throwIfFailed();
    if (this.has(id)) {
      this.stats.blobsDeduplicated++;
      return undefined;
    }
    this.queued.add(id);
    this.stats.blobsNew++;
    this.stats.bytesAdded += rawLength;
    return type === BlobType.Skeleton ? this.meta : type === BlobType.Tree ? this.trees : this.data;
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
    this.referencedPacks.add(packIndex);
    for (const e of p.entries) {
      const id = blobIdOfDigest(e.id);
      if (
        !this.index.add(id, {
          type: e.type,
          packIndex,
          offset: e.offset,
          length: e.length,
          rawLength: e.rawLength,
          compressed: e.compressed,
        })
      )
        this.restored.add(id);
      this.queued.delete(id);
    }
    this.indexWriter.add(p);
  }
}
