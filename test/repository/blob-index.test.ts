import { mulberry32, numericTestSeed } from "../helpers/prng.js";
import { describe, expect, it } from "vitest";
import { BlobIndex, type BlobLocation } from "../../src/repository/blob-index.js";
import { BlobType, type BlobId } from "../../src/core/ids.js";

/** n random 32-byte ids in one buffer; id i is bytes [32i, 32i+32). */
function randomIds(n: number, next: () => number): Uint8Array {
  const words = new Uint32Array(n * 8);
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer);
}

function idAt(ids: Uint8Array, i: number): Uint8Array {
  return ids.subarray(i * 32, i * 32 + 32);
}

/** A location derived from i, so the expected value never needs storing. */
function locFor(i: number, packs: number): BlobLocation {
  return {
    type: (i % 3) as BlobType,
    packIndex: i % packs,
    offset: (i * 2654435761) >>> 0,
    length: (i * 7) >>> 0,
    rawLength: (i * 13 + 5) >>> 0,
    compressed: i % 2 === 0,
  };
}

function hex(id: Uint8Array): BlobId {
  return Buffer.from(id).toString("hex") as BlobId;
}

function withPacks(n: number): BlobIndex {
  const index = new BlobIndex();
  for (let p = 0; p < n; p++) {
    const id = p.toString(16).padStart(64, "0");
    index.addPack(id, { size: 16 << 20, headerLength: 100 + p, kind: p % 2 ? "meta" : "data" });
  }
  return index;
}

describe("BlobIndex", () => {
  it("adds and finds 1,000,000 random blobs in under 64 bytes each", () => {
    const next = mulberry32(numericTestSeed("blob-index 1M"));
    const n = 1_000_000;
    const packs = 40_000; // ~25 blobs per pack, counted in bytesPerEntry
    const ids = randomIds(n + 10_000, next);
    const index = withPacks(packs);

    const t0 = performance.now();
    for (let i = 0; i < n; i++) index.add(idAt(ids, i), locFor(i, packs));
    const addMs = performance.now() - t0;
    const t1 = performance.now();
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const got = index.get(idAt(ids, i));
      const want = locFor(i, packs);
      if (
        !got ||
        got.offset !== want.offset ||
        got.packIndex !== want.packIndex ||
        got.rawLength !== want.rawLength ||
        got.length !== want.length ||
        got.type !== want.type ||
        got.compressed !== want.compressed
      )
        wrong++;
    }
    const getMs = performance.now() - t1;
    console.log(
      `1M blobs: add ${addMs.toFixed(0)} ms, get ${getMs.toFixed(0)} ms, ` +
        `${index.bytesPerEntry().toFixed(1)} bytes per entry (incl. ${packs} packs)`,
    );

    expect(wrong).toBe(0);
    expect(index.size).toBe(n);
    // The ids after n were never added: every lookup must miss.
    for (let i = n; i < n + 10_000; i++) expect(index.get(idAt(ids, i))).toBeUndefined();
    expect(index.bytesPerEntry()).toBeLessThan(64);
  });

  it("accepts hex and raw ids interchangeably", () => {
    const ids = randomIds(1000, mulberry32(numericTestSeed("blob-index hex")));
    const index = withPacks(3);
    for (let i = 0; i < 1000; i++) index.add(i % 2 ? hex(idAt(ids, i)) : idAt(ids, i), locFor(i, 3));
    for (let i = 0; i < 1000; i++) {
      expect(index.get(i % 2 ? idAt(ids, i) : hex(idAt(ids, i)))).toEqual(locFor(i, 3));
      expect(index.has(hex(idAt(ids, i)))).toBe(true);
    }
    expect(index.has(hex(idAt(randomIds(1, mulberry32(1)), 0)))).toBe(false);
  });

  it("keeps the first location of a duplicate id", () => {
    const index = withPacks(2);
    const id = "ab".repeat(32) as BlobId;
    expect(index.add(id, locFor(1, 2))).toBe(true);
    expect(index.add(id, locFor(2, 2))).toBe(false);
    expect(index.add(Buffer.from(id, "hex"), locFor(3, 2))).toBe(false);
    expect(index.get(id)).toEqual(locFor(1, 2));
    expect(index.size).toBe(1);
  });

  it("round-trips entries() in insertion order across growth", () => {
    const ids = randomIds(20_000, mulberry32(numericTestSeed("blob-index entries")));
    const index = withPacks(7);
    for (let i = 0; i < 20_000; i++) index.add(idAt(ids, i), locFor(i, 7));
    let i = 0;
    for (const [id, loc] of index.entries()) {
      expect(id).toBe(hex(idAt(ids, i)));
      expect(loc).toEqual(locFor(i, 7));
      i++;
    }
    expect(i).toBe(20_000);
  });

  it("stays small when nearly empty", () => {
    const index = withPacks(1);
    index.add("cd".repeat(32) as BlobId, locFor(0, 1));
    expect(index.bytesPerEntry()).toBeLessThan(16 * 1024);
  });

  it("keeps a pack table with one index per pack", () => {
    const index = new BlobIndex();
    const big = 2 ** 40 + 12345;
    const a = index.addPack("01".repeat(32), { size: big, headerLength: 77, kind: "meta" });
    const b = index.addPack("02".repeat(32), { size: 5, headerLength: 1, kind: "data" });
    expect(index.addPack("01".repeat(32), { size: 1, headerLength: 1, kind: "data" })).toBe(a);
    expect([a, b]).toEqual([0, 1]);
    expect(index.packCount).toBe(2);
    expect(index.pack(a)).toEqual({ id: "01".repeat(32), size: big, headerLength: 77, kind: "meta" });
    expect(index.pack(b)).toEqual({ id: "02".repeat(32), size: 5, headerLength: 1, kind: "data" });
    expect(() => index.pack(2)).toThrow(RangeError);
  });

  it("rejects malformed ids and out-of-range locations", () => {
    const index = withPacks(1);
    const ok = locFor(0, 1);
    expect(() => index.add("zz".repeat(32) as BlobId, ok)).toThrow(TypeError);
    expect(() => index.add("ab".repeat(31) as BlobId, ok)).toThrow(TypeError);
    expect(() => index.get(new Uint8Array(31))).toThrow(TypeError);
    const id = "ef".repeat(32) as BlobId;
    expect(() => index.add(id, { ...ok, packIndex: 1 })).toThrow(RangeError);
    expect(() => index.add(id, { ...ok, offset: 2 ** 32 })).toThrow(RangeError);
    expect(() => index.add(id, { ...ok, length: -1 })).toThrow(RangeError);
    expect(() => index.add(id, { ...ok, type: 7 as BlobType })).toThrow(TypeError);
    expect(index.has(id)).toBe(false); // a rejected add leaves nothing behind
    expect(() => index.addPack("xy", { size: 1, headerLength: 1, kind: "data" })).toThrow(TypeError);
  });
});
