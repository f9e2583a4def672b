import type { BlobId } from "../core/ids.js";
import { BlobType } from "../core/ids.js";
import type { AgeRecipient } from "../crypto/age-keys.js";
import type { Storage } from "../storage/storage.js";
import { encodeTrailer, type PackEntry } from "./format/pack-format.js";
import { packKey, type PackKind } from "./format/layout.js";
import type { CompressedBlob, PackCodec } from "./format/pack-codec.js";

/** A pack that reached storage; the index records it. */
export interface UploadedPack {
  id: string;
  kind: PackKind;
  size: number;
  headerLength: number;
  entries: PackEntry[];
}

export interface PackWriterOptions {
  kind: PackKind;
  storage: Storage;
  recipients: readonly AgeRecipient[];
  codec: PackCodec;
  packSize: number;
  compressionLevel: number;
  /** Blobs being compressed at once: keeps the codec's workers busy. */
  maxCompressing: number;
  /** Packs being sealed or uploaded at once; bounds memory at about 2 x maxInFlight x packSize. */
  maxInFlight: number;
  onUploaded(pack: UploadedPack): void;
  onStored?(storedBytes: number): void;
  onBytes?(uploadedBytes: number): void;
}

/**
 * Compresses blobs (concurrently, through the codec), gathers them into a
 * pack, seals the pack as an age file when it reaches the target size, and
 * uploads it (docs/FORMAT.md §Packs). Backpressure: `add` waits while too many
 * blobs are compressing or too many packs are in flight.
 */
export class PackWriter {
  private parts: Uint8Array[] = [];
  private entries: PackEntry[] = [];
  private bytes = 0;
  private readonly compressing = new Set<Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly o: PackWriterOptions) {}

  async add(type: BlobType, id: BlobId, raw: Uint8Array): Promise<void> {
    while (this.compressing.size >= this.o.maxCompressing) await Promise.race(this.compressing);
    while (this.inFlight.size >= this.o.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const rawLength = raw.byteLength;
    this.track(
      this.compressing,
      this.o.codec.compress(raw, this.o.compressionLevel, id).then((c) => this.append(type, id, rawLength, c)),
    );
  }

  /** Add a blob compressed elsewhere (and verified there): it goes straight into the pack. */
  async addCompressed(type: BlobType, id: BlobId, rawLength: number, c: CompressedBlob): Promise<void> {
    while (this.inFlight.size >= this.o.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.append(type, id, rawLength, c);
  }

  /** Seal and upload what is buffered, then wait for every upload. */
  async flush(): Promise<void> {
    await drain(this.compressing);
    this.throwIfFailed();
    if (this.entries.length > 0) this.seal();
    await drain(this.inFlight);
    this.throwIfFailed();
  }

  /** After a failure: wait for work already started, seal nothing new. */
  async settle(): Promise<void> {
    await drain(this.compressing);
    await drain(this.inFlight);
  }

  private append(type: BlobType, id: BlobId, rawLength: number, c: CompressedBlob): void {
    this.entries.push({
      type,
      id: Buffer.from(id, "hex"),
      offset: this.bytes,
      length: c.bytes.byteLength,
      rawLength,
      compressed: c.compressed,
    });
    this.parts.push(c.bytes);
    this.bytes += c.bytes.byteLength;
    this.o.onStored?.(c.bytes.byteLength);
    if (this.bytes >= this.o.packSize) this.seal();
  }

  private seal(): void {
    const parts = this.parts;
    const entries = this.entries;
    this.parts = [];
    this.entries = [];
    this.bytes = 0;
    parts.push(encodeTrailer(entries));
    this.track(this.inFlight, this.sealAndUpload(parts, entries));
  }

  private async sealAndUpload(parts: Uint8Array[], entries: PackEntry[]): Promise<void> {
    const sealed = await this.o.codec.seal(parts, this.o.recipients, `new ${this.o.kind} pack`);
    await this.o.storage.put(packKey(this.o.kind, sealed.id), sealed.file);
    this.o.onBytes?.(sealed.file.byteLength);
    this.o.onUploaded({
      id: sealed.id,
      kind: this.o.kind,
      size: sealed.file.byteLength,
      headerLength: sealed.headerLength,
      entries,
    });
  }

  private track(set: Set<Promise<void>>, work: Promise<void>): void {
    const p: Promise<void> = work.catch((e: unknown) => {
      this.failure ??= e;
    });
    set.add(p);
    void p.finally(() => set.delete(p));
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

async function drain(set: Set<Promise<void>>): Promise<void> {
  while (set.size > 0) await Promise.all(set);
}
