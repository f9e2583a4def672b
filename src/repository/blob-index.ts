import { blobIdOfDigest, BlobType, type BlobId } from "../core/ids.js";
import type { IndexBody, IndexPack } from "./format/index-file.js";

/**
 * The in-memory chunk index: blob id -> where the blob sits in which pack.
 *
 * The aim is under 64 bytes per known blob (docs/PERFORMANCE.md §Memory), so
 * there is no JS object per entry. Ids and values live in typed-array
 * pages and an open-addressing table (linear probing) holds entry numbers.
 * Real ids are HMAC or SHA-256 outputs, so any 4 of their bytes would make a
 * uniform hash; we still fold all 32 bytes (see hashWords) so that made-up ids in
 * tests and tools, which often differ only in their last bytes, cannot pile
 * into one probe chain and turn every add into a linear scan.
 *
 * Bytes per blob:
 *   32        the raw id (8 u32 words in a key page)
 *   16        4 u32 value words: packIndex|type|compressed, offset, length, rawLength
 *   4 / L     one u32 table slot at load factor L. The table doubles before L passes
 *             3/4, so L is in (3/8, 3/4] and this is 5.3 to 10.7 bytes
 *   slack     at most one unfilled page of 8192 entries, < 0.4 bytes per blob at 1M
 *   = 53.3 to 59.1 bytes per blob, plus the pack table (about 56 bytes per pack,
 *     stored the same way, which is a few bytes per blob at 16+ blobs per pack).
 * We use pages, not one array that doubles, because one doubling array would
 * waste up to 48 bytes per entry just after it grows and would briefly need
 * twice its size while copying.
 */
export interface BlobLocation {
  type: BlobType;
  /** Index into the pack table (see BlobIndex.addPack). */
  packIndex: number;
  /** Plaintext offset within the pack, < 2^32. */
  offset: number;
  /** Stored (possibly compressed) length. */
  length: number;
  /** Uncompressed length. */
  rawLength: number;
  compressed: boolean;
}

export interface PackInfo {
  size: number;
  headerLength: number;
  kind: "data" | "meta";
}

export interface PackEntry extends PackInfo {
  id: string;
}

/** The reading half of BlobIndex: what code that walks an index it does not own may call (RepositoryMaintenance). */
export type ReadonlyBlobIndex = Pick<
  BlobIndex,
  "get" | "has" | "size" | "entryOf" | "locationAt" | "entries" | "findPack" | "pack" | "packCount"
>;

const KEY_WORDS = 8;
const VALUE_WORDS = 4;
const PAGE_SHIFT = 13;
const PAGE_ENTRIES = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_ENTRIES - 1;
/** The first page starts small and doubles up to a full page, so a small index stays small. */
const FIRST_PAGE_ENTRIES = 64;
/** Linear probing stays short (about 2.5 probes per miss) up to 3/4 full. */
const MAX_LOAD = 0.75;
const INITIAL_SLOTS = 128;
const U32_LIMIT = 2 ** 32;
/** Word 0 keeps the compressed flag in bit 0 and the type in bits 1-2, leaving 29 bits for the pack. */
const MAX_PACKS = 2 ** 29;

/** One module-wide scratch id: every call parses and finishes synchronously, so sharing is safe. */
const scratchWords = new Uint32Array(KEY_WORDS);
const scratchBytes = Buffer.from(scratchWords.buffer);

/** Parse a hex or raw 32-byte id into the scratch words (no allocation). */
function idWords(id: string | Uint8Array, what: string): Uint32Array {
  if (typeof id === "string") {
    // Buffer's hex decoder stops at the first bad pair, so a short count means a bad id.
    if (id.length !== 64 || scratchBytes.write(id, 0, 32, "hex") !== 32) {
      throw new TypeError(`not a ${what}: ${JSON.stringify(id)}`);
    }
  } else {
    if (id.length !== 32) throw new TypeError(`a raw ${what} must be 32 bytes, got ${id.length}`);
    scratchBytes.set(id);
  }
  return scratchWords;
}

/** Fold the 8 key words into one and mix it (murmur3-style finaliser) so every key bit reaches the low bits the table uses. */
function hashWords(k: Uint32Array, b: number): number {
  let h = k[b] ^ k[b + 1] ^ k[b + 2] ^ k[b + 3] ^ k[b + 4] ^ k[b + 5] ^ k[b + 6] ^ k[b + 7];
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= U32_LIMIT) {
    throw new RangeError(`${what} must be an integer in [0, 2^32), got ${value}`);
  }
}

/**
 * A set of 32-byte keys, each with `valueWords` u32 values, numbered 0.. in
 * insertion order. Entries are never removed (the index is rebuilt after prune).
 */
class KeyTable {
  private readonly keyPages: Uint32Array[] = [];
  private readonly valuePages: Uint32Array[] = [];
  /** entry number + 1; 0 marks an empty slot, so a fresh array is an empty table. */
  private slots = new Uint32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private capacity = 0;
  count = 0;

  constructor(private readonly valueWords: number) {}

  /** Entry number of the key, or -1. */
  find(q: Uint32Array): number {
    for (let i = hashWords(q, 0) & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.slots[i];
      if (s === 0) return -1;
      if (this.keyEquals(s - 1, q)) return s - 1;
    }
  }

  /** Adds the key and returns its new entry number, or ~entry (negative) if it was already there. */
  add(q: Uint32Array): number {
    if (this.count + 1 > this.slots.length * MAX_LOAD) this.growSlots();
    let i = hashWords(q, 0) & this.mask;
    for (let s = this.slots[i]; s !== 0; s = this.slots[i]) {
      if (this.keyEquals(s - 1, q)) return ~(s - 1);
      i = (i + 1) & this.mask;
    }
    const e = this.append(q);
    this.slots[i] = e + 1;
    return e;
  }

  valuePage(e: number): Uint32Array {
    return this.valuePages[e >>> PAGE_SHIFT];
  }

  valueBase(e: number): number {
    return (e & PAGE_MASK) * this.valueWords;
  }

  keyHex(e: number): string {
    return this.keyBytes(e).toString("hex");
  }

  /** The 32 bytes of key `e`, a view into the page (no copy). */
  keyBytes(e: number): Buffer {
    const page = this.keyPages[e >>> PAGE_SHIFT];
    const byteOffset = page.byteOffset + (e & PAGE_MASK) * KEY_WORDS * 4;
    return Buffer.from(page.buffer, byteOffset, 32);
  }

  get byteLength(): number {
    let n = this.slots.byteLength;
    for (const p of this.keyPages) n += p.byteLength;
    for (const p of this.valuePages) n += p.byteLength;
    return n;
  }

  private keyEquals(e: number, q: Uint32Array): boolean {
    const k = this.keyPages[e >>> PAGE_SHIFT];
    const b = (e & PAGE_MASK) * KEY_WORDS;
    return (
      k[b] === q[0] &&
      k[b + 1] === q[1] &&
      k[b + 2] === q[2] &&
      k[b + 3] === q[3] &&
      k[b + 4] === q[4] &&
      k[b + 5] === q[5] &&
      k[b + 6] === q[6] &&
      k[b + 7] === q[7]
    );
  }

  private append(q: Uint32Array): number {
    if (this.count === this.capacity) this.addRoom();
    const e = this.count++;
    this.keyPages[e >>> PAGE_SHIFT].set(q, (e & PAGE_MASK) * KEY_WORDS);
    return e;
  }

  private addRoom(): void {
    if (this.capacity === 0) return this.pushPage(FIRST_PAGE_ENTRIES);
    if (this.capacity >= PAGE_ENTRIES) return this.pushPage(PAGE_ENTRIES);
    // Still on the first page: double it (copying) until it is a full page.
    const n = Math.min(this.capacity * 2, PAGE_ENTRIES);
    this.keyPages[0] = grown(this.keyPages[0], n * KEY_WORDS);
    this.valuePages[0] = grown(this.valuePages[0], n * this.valueWords);
    this.capacity = n;
  }

  private pushPage(entries: number): void {
    this.keyPages.push(new Uint32Array(entries * KEY_WORDS));
    this.valuePages.push(new Uint32Array(entries * this.valueWords));
    this.capacity += entries;
  }

  private growSlots(): void {
    const slots = new Uint32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.count; e++) {
      let i = hashWords(this.keyPages[e >>> PAGE_SHIFT], (e & PAGE_MASK) * KEY_WORDS) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function grown(a: Uint32Array, length: number): Uint32Array {
  const b = new Uint32Array(length);
  b.set(a);
  return b;
}

/**
 * Blob id -> BlobLocation, plus the table of packs the locations point into.
 * The first location added for an id wins (a blob stored twice is found in one place).
 *
 * @example
 * const index = new BlobIndex();
 * const p = index.addPack("ab".repeat(32), { size: 4_194_304, headerLength: 120, kind: "data" });
 * const blob = asBlobId("cd".repeat(32));
 * index.add(blob, { type: BlobType.Data, packIndex: p, offset: 0, length: 900, rawLength: 1024, compressed: true });
 * index.get(blob)?.rawLength; // 1024
 */
export class BlobIndex {
  private readonly blobs = new KeyTable(VALUE_WORDS);
  /** Values per pack: size low word, size high word, headerLength, kind (0 data, 1 meta). */
  private readonly packs = new KeyTable(4);

  /** Returns false, changing nothing, when the id is already present. */
  add(id: BlobId | Uint8Array, loc: BlobLocation): boolean {
    const word0 = this.locationWord0(loc);
    checkU32(loc.offset, "offset");
    checkU32(loc.length, "length");
    checkU32(loc.rawLength, "rawLength");
    const e = this.blobs.add(idWords(id, "blob id"));
    if (e < 0) return false;
    const v = this.blobs.valuePage(e);
    const b = this.blobs.valueBase(e);
    v[b] = word0;
    v[b + 1] = loc.offset;
    v[b + 2] = loc.length;
    v[b + 3] = loc.rawLength;
    return true;
  }

  get(id: BlobId | Uint8Array): BlobLocation | undefined {
    const e = this.blobs.find(idWords(id, "blob id"));
    return e < 0 ? undefined : this.location(e);
  }

  has(id: BlobId | Uint8Array): boolean {
    return this.blobs.find(idWords(id, "blob id")) >= 0;
  }

  get size(): number {
    return this.blobs.count;
  }

  /** The blob's entry number (0..size-1, in insertion order), or -1: lets callers keep per-blob bits in a bitset. */
  entryOf(id: BlobId | Uint8Array): number {
    return this.blobs.find(idWords(id, "blob id"));
  }

  /** Location of entry number `e` (see entryOf). */
  locationAt(e: number): BlobLocation {
    return this.location(e);
  }

  /** Every blob, in insertion order. */
  *entries(): Generator<[BlobId, BlobLocation]> {
    for (let e = 0; e < this.blobs.count; e++) {
      yield [blobIdOfDigest(this.blobs.keyBytes(e)), this.location(e)];
    }
  }

  /** Registers a pack and returns its packIndex; a pack already known keeps its index and first info. */
  addPack(packId: string, info: PackInfo): number {
    if (!Number.isSafeInteger(info.size) || info.size < 0) {
      throw new RangeError(`pack size must be a non-negative safe integer, got ${info.size}`);
    }
    checkU32(info.headerLength, "headerLength");
    if (info.kind !== "data" && info.kind !== "meta") throw new TypeError(`unknown pack kind ${String(info.kind)}`);
    if (this.packs.count >= MAX_PACKS) throw new RangeError(`more than 2^29 packs`);
    const e = this.packs.add(idWords(packId, "pack id"));
    if (e < 0) return ~e;
    const v = this.packs.valuePage(e);
    const b = this.packs.valueBase(e);
    v[b] = info.size % U32_LIMIT;
    v[b + 1] = Math.floor(info.size / U32_LIMIT);
    v[b + 2] = info.headerLength;
    v[b + 3] = info.kind === "meta" ? 1 : 0;
    return e;
  }

  /** The packIndex of a known pack, or -1. */
  findPack(packId: string): number {
    return this.packs.find(idWords(packId, "pack id"));
  }

  pack(packIndex: number): PackEntry {
    this.checkPackIndex(packIndex);
    const v = this.packs.valuePage(packIndex);
    const b = this.packs.valueBase(packIndex);
    return {
      id: this.packs.keyHex(packIndex),
      size: v[b] + v[b + 1] * U32_LIMIT,
      headerLength: v[b + 2],
      kind: v[b + 3] === 1 ? "meta" : "data",
    };
  }

  get packCount(): number {
    return this.packs.count;
  }

  /** Typed-array bytes held (blobs and packs) per blob, for reporting. */
  bytesPerEntry(): number {
    return (this.blobs.byteLength + this.packs.byteLength) / Math.max(1, this.blobs.count);
  }

  private location(e: number): BlobLocation {
    const v = this.blobs.valuePage(e);
    const b = this.blobs.valueBase(e);
    const w0 = v[b];
    return {
      type: (w0 >>> 1) & 3,
      packIndex: w0 >>> 3,
      offset: v[b + 1],
      length: v[b + 2],
      rawLength: v[b + 3],
      compressed: (w0 & 1) === 1,
    };
  }

  private locationWord0(loc: BlobLocation): number {
    if (BlobType[loc.type] === undefined) throw new TypeError(`unknown blob type ${String(loc.type)}`);
    this.checkPackIndex(loc.packIndex);
    return ((loc.packIndex << 3) | (loc.type << 1) | (loc.compressed ? 1 : 0)) >>> 0;
  }

  private checkPackIndex(packIndex: number): void {
    if (!Number.isInteger(packIndex) || packIndex < 0 || packIndex >= this.packs.count) {
      throw new RangeError(`pack index ${packIndex} is not in the pack table (${this.packs.count} packs)`);
    }
  }
}

/** Load an index file's packs into the in-memory index; `keep` can leave out packs (e.g. ones missing from storage). */
export function addToBlobIndex(
  index: BlobIndex,
  body: IndexBody,
  keep: (pack: IndexPack) => boolean = () => true,
): void {
  for (const p of body.packs) {
    if (!keep(p)) continue;
    const packIndex = index.addPack(p.id, { size: p.size, headerLength: p.headerLength, kind: p.kind });
    for (const [type, id, offset, length, rawLength, compressed] of p.blobs) {
      // Every row was checked by the decoding rules where its body was decoded (openIndex, openMark: pack-row.ts),
      // so add cannot throw; a second check per row would cost every command's start-up (docs/PERFORMANCE.md §Startup).
      index.add(id, {
        type,
        packIndex,
        offset,
        length,
        rawLength,
        compressed: compressed === 1,
      });
    }
  }
}
