import type { AgentKey } from "../crypto/agent-key.js";
import type { Storage } from "../storage/storage.js";
import { blobIdOfDigest } from "../core/ids.js";
import { sealIndex, type IndexPack } from "./format/index-file.js";
import { indexKey } from "./format/layout.js";
import type { UploadedPack } from "./pack-writer.js";
import { sha256Hex } from "./format/sha256.js";

/**
 * Writes index files for packs as they are uploaded. An index file goes out
 * every `packsPerIndex` packs, so a backup killed midway leaves most of its
 * uploaded packs indexed and the next run reuses them (docs/RELIABILITY.md S1).
 */
export class IndexWriter {
  private pending: IndexPack[] = [];
  private writes: Promise<void>[] = [];
  private failure: unknown;
  readonly written: string[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly agent: AgentKey,
    private readonly packsPerIndex = 8,
  ) {}

  add(pack: UploadedPack): void {
    this.pending.push(indexPackOf(pack));
    if (this.pending.length >= this.packsPerIndex) this.start();
  }

  /** The first failed index write, if any; the backup checks it so it stops early. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private start(): void {
    // Caught here so a failed write is never an unhandled rejection (it would kill the process); finish() rethrows it.
    this.writes.push(
      this.writeOut().catch((e: unknown) => {
        this.failure ??= e;
      }),
    );
  }

  /** Write whatever is pending and wait for every index write. */
  async finish(): Promise<void> {
    if (this.pending.length > 0) this.start();
    await Promise.all(this.writes);
    this.throwIfFailed();
  }

  private async writeOut(): Promise<void> {
    const packs = this.pending;
    this.pending = [];
    const file = sealIndex(this.agent, packs);
    const id = sha256Hex(file);
    await this.storage.put(indexKey(id), file);
    this.written.push(id);
  }
}

/** The index row of a pack this process uploaded. */
export function indexPackOf(p: UploadedPack): IndexPack {
  return {
    id: p.id,
    kind: p.kind,
    size: p.size,
    headerLength: p.headerLength,
    blobs: p.entries.map((e) => [e.type, blobIdOfDigest(e.id), e.offset, e.length, e.rawLength, e.compressed ? 1 : 0]),
  };
}
