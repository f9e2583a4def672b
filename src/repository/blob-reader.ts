import { IdentityRequiredError, IntegrityError } from "../core/errors.js";
import { BlobType, type BlobId } from "../core/ids.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { ageDecryptRange, ageOpenHeader } from "../crypto/age-file.js";
import { PackDecrypter } from "./pack-decrypter.js";
import { decodeStoredBlob, type StoredBlob } from "./format/blob-decode.js";
import type { Storage } from "../storage/storage.js";
import type { BlobIndex, BlobLocation, PackEntry } from "./blob-index.js";
import { packKey, type PackKind } from "./format/layout.js";

/** File keys of recently used packs: one X25519 unwrap per pack, not per blob. */
const FILE_KEY_CACHE = 256;
/** Whole decrypted packs kept for reuse: sequential restores read each pack once (about 4 x 24 MiB). */
const PACK_CACHE = 4;
/**
 * Tree packs have slots of their own: a restore walks the trees while its
 * files read data from other packs, and in one LRU the tree packs were
 * evicted between directories and decrypted again (a tree pack of the bench
 * set 16-19 times in one restore).
 */
const TREE_PACK_CACHE = 2;
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

/** Reads a caller announced (expectReads) and has not made yet, per pack. */
interface ExpectedReads {
  blobs: number;
  bytes: number;
  /** The pack's stored size, for WHOLE_AFTER_SHARE. */
  size: number;
}

/** Decrypted whole packs, least recently used first. */
interface PackCache {
  packs: Map<string, Promise<Buffer>>;
  capacity: number;
}

/**
 * Reads single blobs. Blobs wanted from a pack are fetched with ranged GETs
 * (the age header, then only the STREAM chunks covering them) until reads from
 * it reach WHOLE_AFTER_BLOBS blobs or WHOLE_AFTER_SHARE of its bytes; then the
 * whole pack is loaded, decrypted once and serves later blobs from memory, so
 * a restore reads each pack about once while `ls` or `dump` of one file stays
 * cheap. The cache is chosen by the blob's type: cairn's writers keep tree
 * and data blobs in separate packs (prune's repack too); a pack holding both,
 * which the format allows, would sit in both caches, within each capacity.
 * A caller that knows what it will read (restore, a window of files at a
 * time) announces it with expectReads: the whole-or-ranged choice is then
 * made on the first read from the announced counts, not after 32 ranged
 * reads, and a cached pack with no announced reads left is the first evicted.
 * Every blob is checked against its keyed ID: a store that knows the
 * recipients still cannot substitute content.
 */
export class BlobReader {
  private readonly fileKeys = new Map<string, { fileKey: Buffer; headerLength: number }>();
  private readonly dataPacks: PackCache = { packs: new Map(), capacity: PACK_CACHE };
  private readonly treePacks: PackCache = { packs: new Map(), capacity: TREE_PACK_CACHE };
  /** Ranged reads so far per pack: [blobs, bytes]. */
  private readonly touched = new Map<string, [number, number]>();
  private readonly expected = new Map<string, ExpectedReads>();
  /** Cached packs whose announced reads are all done: evicted before any other. */
  private readonly finished = new Set<string>();
  private readonly decrypter = new PackDecrypter();

  constructor(
    private readonly storage: Storage,
    private readonly index: BlobIndex,
    private readonly agent: AgentKey,
    private readonly identities: readonly AgeIdentity[] | undefined,
  ) {}

  async read(id: BlobId, signal?: AbortSignal): Promise<Buffer> {
    // A view, not a copy: decompressBlob returns a buffer of its own, and the copy showed in restore profiles
    // (docs/PERFORMANCE.md §Figures behind choices in the code).
    return decodeStoredBlob(await this.readStored(id, signal), id, (type, raw) => this.agent.blobId(type, raw));
  }

  /**
   * A blob as stored in its pack (decrypted and authenticated as part of the
   * pack, still compressed), NOT yet checked against its ID: the caller must
   * decode it with decodeStoredBlob, as read() does (restore does it on its
   * writer threads). `what` names the blob in errors.
   */
  async readStored(id: BlobId, signal?: AbortSignal): Promise<StoredBlob> {
    const found = this.locate(id);
    if (!found)
      throw new IntegrityError("blob", id, "not in any index: the pack holding it is missing or was never indexed");
    const { loc, pack, key, cache } = found;
    const identities = this.identitiesFor(pack.kind);
    let stored: Buffer;
    const announced = this.expected.get(key);
    // Announced reads: whole while the reads still to come justify it, so a pack evicted near its end is not fetched again for a few blobs.
    const whole =
      announced !== undefined
        ? worthWhole(announced.blobs, announced.bytes, announced.size)
        : this.wantsWhole(key, pack.size, loc.length);
    if (cache.packs.has(key) || whole) {
      const loading = this.wholePack(cache, key, identities, signal);
      if (announced !== undefined) this.countExpectedRead(key, announced, loc.length); // after the load is cached: the last read marks it finished
      const plain = await loading;
      if (loc.offset + loc.length > plain.byteLength)
        throw new IntegrityError("blob", `${id} in ${key}`, "lies beyond the end of its pack");
      stored = plain.subarray(loc.offset, loc.offset + loc.length);
    } else {
      if (announced !== undefined) this.countExpectedRead(key, announced, loc.length);
      const opened = await this.openPack(key, identities, pack.headerLength, signal);
      stored = await ageDecryptRange(
        opened,
        pack.size,
        loc.offset,
        loc.length,
        (o, l) => this.storage.get(key, { offset: o, length: l }, signal),
        key,
      );
    }
    return { stored, compressed: loc.compressed, rawLength: loc.rawLength, type: loc.type, what: `${id} in ${key}` };
  }

  /**
   * Announce reads to come (each id once per time it will be read). Reads of
   * announced packs follow the announced counts instead of counting ranged
   * reads (WHOLE_AFTER_BLOBS, WHOLE_AFTER_SHARE apply to the announced total),
   * so a pack is decrypted once when most of it is wanted and read by ranges
   * when only a few blobs are. Unknown ids are skipped: reading them fails
   * with its own error.
   */
  expectReads(ids: Iterable<BlobId>): void {
    for (const id of ids) {
      const found = this.locate(id);
      if (!found) continue;
      const { loc, pack, key } = found;
      let e = this.expected.get(key);
      if (e === undefined) {
        e = { blobs: 0, bytes: 0, size: pack.size };
        this.expected.set(key, e);
        this.finished.delete(key);
      }
      e.blobs++;
      e.bytes += loc.length;
    }
  }

  /**
   * Start loading the pack holding `id` whole, if the reads announced from it
   * justify it and it is not cached: restore asks for the next pack while it
   * writes the current one, so the fetch and decryption are not waited for.
   * A failed prefetch is dropped; the read that needs the pack fetches it again.
   */
  prefetch(id: BlobId, signal?: AbortSignal): void {
    const found = this.locate(id);
    if (!found) return;
    const { pack, key, cache } = found;
    const announced = this.expected.get(key);
    if (
      cache.packs.has(key) ||
      announced === undefined ||
      !worthWhole(announced.blobs, announced.bytes, announced.size)
    )
      return;
    let identities: readonly AgeIdentity[];
    try {
      identities = this.identitiesFor(pack.kind);
    } catch {
      return; // the read itself reports it
    }
    this.wholePack(cache, key, identities, signal).catch(() => undefined);
  }

  /** Where a blob lies: its index entry, its pack, the pack's key and the cache its type uses; undefined if not indexed. */
  private locate(id: BlobId): { loc: BlobLocation; pack: PackEntry; key: string; cache: PackCache } | undefined {
    const loc = this.index.get(id);
    if (!loc) return undefined;
    const pack = this.index.pack(loc.packIndex);
    return {
      loc,
      pack,
      key: packKey(pack.kind, pack.id),
      cache: loc.type === BlobType.Tree ? this.treePacks : this.dataPacks,
    };
  }

  private countExpectedRead(key: string, e: ExpectedReads, length: number): void {
    e.bytes -= length;
    if (--e.blobs > 0) return;
    this.expected.delete(key);
    if (this.dataPacks.packs.has(key) || this.treePacks.packs.has(key)) this.finished.add(key);
  }

  /** Stops the pack-decryption thread, if one was started (it never keeps the process alive either way). */
  async close(): Promise<void> {
    await this.decrypter.close();
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
    if (worthWhole(t[0], t[1], packSize)) return true;
    if (this.touched.size >= TOUCHED) this.touched.delete(this.touched.keys().next().value as string);
    this.touched.set(key, t);
    return false;
  }

  /** Whole decrypted pack, shared by concurrent readers; a failed load is not cached. */
  private wholePack(
    cache: PackCache,
    key: string,
    identities: readonly AgeIdentity[],
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const { packs } = cache;
    const cached = packs.get(key);
    if (cached) {
      packs.delete(key); // re-insert: most recently used last
      packs.set(key, cached);
      return cached;
    }
    const loading = this.storage
      .get(key, undefined, signal)
      .then((file) => this.decrypter.decrypt(file, identities, key));
    // Only this load's entry: after an eviction the key may hold a newer load by the time this one fails.
    loading.catch(() => packs.get(key) === loading && packs.delete(key));
    if (packs.size >= cache.capacity) this.evict(packs);
    packs.set(key, loading);
    return loading;
  }

  /** A pack whose announced reads are done if there is one, else the least recently used. */
  private evict(packs: Map<string, Promise<Buffer>>): void {
    let victim = packs.keys().next().value as string;
    for (const k of packs.keys()) {
      if (this.finished.has(k)) {
        victim = k;
        break;
      }
    }
    packs.delete(victim);
    this.finished.delete(victim);
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

/** Enough blobs, or enough of the pack's bytes, to decrypt the whole pack rather than read them by ranges. */
function worthWhole(blobs: number, bytes: number, packSize: number): boolean {
  return blobs >= WHOLE_AFTER_BLOBS || bytes >= packSize * WHOLE_AFTER_SHARE;
}
