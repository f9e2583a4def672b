import { IdentityRequiredError, IntegrityError } from "../errors.js";
import type { BlobId } from "../ids.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { ageDecrypt, ageDecryptRange, ageOpenHeader } from "../crypto/age-file.js";
import { decompressBlob } from "../compression/zstd.js";
import type { Storage } from "../storage/storage.js";
import type { BlobIndex } from "./blob-index.js";
import { packKey, type PackKind } from "./layout.js";
import type { DecodedPack, DecodeEntry } from "./pack-decode.js";

/** Decodes whole packs off the main thread (WorkerCodec.decodePack). */
export interface PackDecoder {
  decodePack(file: Uint8Array, identities: readonly AgeIdentity[], entries: DecodeEntry[], what: string): Promise<DecodedPack>;
}

/** A decoded pack's blobs by id: the bytes, or why that blob is damaged. */
type DecodedBlobs = Map<string, Uint8Array | string>;

/** File keys of recently used packs: one X25519 unwrap per pack, not per blob. */
const FILE_KEY_CACHE = 256;
/** Whole decrypted packs kept for reuse: sequential restores read each pack once (about 4 x 24 MiB). */
const PACK_CACHE = 4;
/** Packs whose ranged reads are being counted (LRU). */
const TOUCHED = 4096;
/**
 * A pack is loaded whole once reads from it reach this many blobs or this
 * share of its size: sequential restores then read each pack once, while
 * scattered reads (one file of a snapshot, deduplicated chunks spread over
 * many packs) stay ranged instead of decrypting 16 MiB for each blob.
 */
const WHOLE_AFTER_BLOBS = 32;
const WHOLE_AFTER_SHARE = 0.25;

/**
 * Reads single blobs. The first blob wanted from a pack is fetched with ranged
 * GETs (the age header, then only the STREAM chunks covering it); a second one
 * from the same pack loads and decrypts the whole pack once and serves every
 * later blob from memory, so a restore reads each pack about once while `ls`
 * or `dump` of one file stays cheap. Every blob is checked against its keyed
 * ID: a store that knows the recipients still cannot substitute content.
 */
export class BlobReader {
  private readonly fileKeys = new Map<string, { fileKey: Buffer; headerLength: number }>();
  private readonly packs = new Map<string, Promise<Buffer>>();
  /** Ranged reads so far per pack: [blobs, bytes]. */
  private readonly touched = new Map<string, [number, number]>();
  private decoder: PackDecoder | undefined;
  /** With a decoder: whole packs decoded and verified, blob by blob (LRU like `packs`). */
  private readonly decoded = new Map<string, Promise<DecodedBlobs>>();
  /** Packs decoded ahead (prefetchNext) and not yet read from, and how guessing has gone. */
  private readonly prefetched = new Set<string>();
  private readonly prefetch = { hits: 0, misses: 0 };
  /** Blob entries by pack, as linked lists over entry numbers, built when first needed. */
  private byPack: { head: Int32Array; next: Int32Array } | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly index: BlobIndex,
    private readonly agent: AgentKey,
    private readonly identities: readonly AgeIdentity[] | undefined,
  ) {}

  async read(id: BlobId, signal?: AbortSignal): Promise<Buffer> {
    const loc = this.index.get(id);
    if (!loc) throw new IntegrityError("blob", id, "not in any index: the pack holding it is missing or was never indexed");
    const pack = this.index.pack(loc.packIndex);
    const key = packKey(pack.kind, pack.id);
    const identities = this.identitiesFor(pack.kind);
    const whole = this.packs.has(key) || this.decoded.has(key) || this.wantsWhole(key, pack.size, loc.length);
    if (whole && this.decoder) return this.fromDecoded(id, key, loc.packIndex, identities, signal);
    let stored: Buffer;
    if (whole) {
      const plain = await this.wholePack(key, identities, signal);
      if (loc.offset + loc.length > plain.byteLength) throw new IntegrityError("blob", `${id} in ${key}`, "lies beyond the end of its pack");
      stored = plain.subarray(loc.offset, loc.offset + loc.length);
    } else {
      const opened = await this.openPack(key, identities, pack.headerLength, signal);
      stored = await ageDecryptRange(opened, pack.size, loc.offset, loc.length, (o, l) => this.storage.get(key, { offset: o, length: l }, signal), key);
    }
    const raw = loc.compressed ? Buffer.from(decompressBlob(stored, loc.rawLength, `${id} in ${key}`)) : stored;
    if (raw.byteLength !== loc.rawLength || this.agent.blobId(loc.type, raw) !== id) {
      throw new IntegrityError("blob", `${id} in ${key}`, "content does not match its id");
    }
    return raw;
  }

  /**
   * Decode whole packs with `decoder` (worker threads) from now on; undefined
   * goes back to decoding on this thread. Restores set one: decrypting,
   * decompressing and verifying were most of the main thread's work.
   */
  useDecoder(decoder: PackDecoder | undefined): void {
    this.decoder = decoder;
    this.decoded.clear();
    this.prefetched.clear();
  }

  private async fromDecoded(id: BlobId, key: string, packIndex: number, identities: readonly AgeIdentity[], signal?: AbortSignal): Promise<Buffer> {
    const started = !this.decoded.has(key);
    const pending = this.decodedPack(key, packIndex, identities, signal);
    if (started) this.prefetchNext(packIndex, identities);
    const b = (await pending).get(id);
    if (b === undefined) throw new IntegrityError("blob", `${id} in ${key}`, "not found when its pack was decoded");
    if (typeof b === "string") throw new IntegrityError("blob", `${id} in ${key}`, b);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Every indexed blob of a pack, decoded once and shared by concurrent readers; a failed load is not cached. */
  private decodedPack(key: string, packIndex: number, identities: readonly AgeIdentity[], signal?: AbortSignal): Promise<DecodedBlobs> {
    let p = this.decoded.get(key);
    if (p) {
      if (this.prefetched.delete(key)) this.prefetch.hits++;
      this.decoded.delete(key); // re-insert: most recently used last
      this.decoded.set(key, p);
      return p;
    }
    const decoder = this.decoder!;
    p = (async () => {
      const entries = this.entriesOf(packIndex);
      const file = await this.storage.get(key, undefined, signal);
      const d = await decoder.decodePack(file, identities, entries, key);
      const blobs: DecodedBlobs = new Map();
      entries.forEach((e, i) => {
        const span = d.spans[i];
        blobs.set(e.id, typeof span === "string" ? span : d.bytes.subarray(span[0], span[0] + span[1]));
      });
      return blobs;
    })();
    p.catch(() => this.decoded.delete(key));
    if (this.decoded.size >= PACK_CACHE) this.evictDecoded();
    this.decoded.set(key, p);
    return p;
  }

  /**
   * Backups write packs in walk order and restores walk in the same order, so
   * the pack after one being decoded is usually wanted next: decode it while
   * this one is written out. Stops guessing once most guesses were wrong
   * (a partial restore, or an old snapshot among many).
   */
  private prefetchNext(packIndex: number, identities: readonly AgeIdentity[]): void {
    const { hits, misses } = this.prefetch;
    if (misses >= 4 && misses > hits) return;
    const next = packIndex + 1;
    if (next >= this.index.packCount) return;
    const pack = this.index.pack(next);
    const key = packKey(pack.kind, pack.id);
    if (pack.kind !== "data" || this.decoded.has(key)) return;
    this.prefetched.add(key);
    this.decodedPack(key, next, identities).catch(() => undefined); // a reader that needs it sees the error
  }

  private evictDecoded(): void {
    const oldest = this.decoded.keys().next().value as string;
    this.decoded.delete(oldest);
    if (this.prefetched.delete(oldest)) this.prefetch.misses++;
  }

  private entriesOf(packIndex: number): DecodeEntry[] {
    const size = this.index.size;
    if (!this.byPack || this.byPack.next.length !== size || this.byPack.head.length !== this.index.packCount) {
      const head = new Int32Array(this.index.packCount).fill(-1);
      const next = new Int32Array(size);
      for (let e = size - 1; e >= 0; e--) {
        const p = this.index.locationAt(e).packIndex;
        next[e] = head[p];
        head[p] = e;
      }
      this.byPack = { head, next };
    }
    const out: DecodeEntry[] = [];
    for (let e = this.byPack.head[packIndex]; e >= 0; e = this.byPack.next[e]) {
      const loc = this.index.locationAt(e);
      out.push({ id: this.index.idAt(e), type: loc.type, offset: loc.offset, length: loc.length, rawLength: loc.rawLength, compressed: loc.compressed });
    }
    return out;
  }

  private identitiesFor(kind: PackKind): readonly AgeIdentity[] {
    const identities = kind === "meta" ? [this.agent.identity] : this.identities;
    if (!identities || identities.length === 0) throw new IdentityRequiredError("reading file contents and names");
    return identities;
  }

  /** Count a read from `key`; true once the pack has been read from enough to be worth loading whole. */
  private wantsWhole(key: string, packSize: number, length: number): boolean {
    const t = this.touched.get(key) ?? [0, 0];
    this.touched.delete(key);
    t[0]++;
    t[1] += length;
    if (t[0] >= WHOLE_AFTER_BLOBS || t[1] >= packSize * WHOLE_AFTER_SHARE) return true;
    if (this.touched.size >= TOUCHED) this.touched.delete(this.touched.keys().next().value as string);
    this.touched.set(key, t);
    return false;
  }

  /** Whole decrypted pack, shared by concurrent readers; a failed load is not cached. */
  private wholePack(key: string, identities: readonly AgeIdentity[], signal?: AbortSignal): Promise<Buffer> {
    let p = this.packs.get(key);
    if (p) {
      this.packs.delete(key); // re-insert: most recently used last
      this.packs.set(key, p);
      return p;
    }
    p = this.storage.get(key, undefined, signal).then((file) => ageDecrypt(file, identities, key));
    p.catch(() => this.packs.delete(key));
    if (this.packs.size >= PACK_CACHE) this.packs.delete(this.packs.keys().next().value as string);
    this.packs.set(key, p);
    return p;
  }

  private async openPack(key: string, identities: readonly AgeIdentity[], headerLength: number, signal?: AbortSignal) {
    const cached = this.fileKeys.get(key);
    if (cached) return cached;
    const header = await this.storage.get(key, { offset: 0, length: headerLength }, signal);
    const opened = ageOpenHeader(header, identities, key);
    if (this.fileKeys.size >= FILE_KEY_CACHE) this.fileKeys.delete(this.fileKeys.keys().next().value as string);
    this.fileKeys.set(key, opened);
    return opened;
  }
}
