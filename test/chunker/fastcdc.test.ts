import { describe, expect, it } from "vitest";
import {
  DEFAULT_CHUNKER_PARAMS,
  FastCdc,
  validateChunkerParams,
  type ChunkerParams,
} from "../../src/chunker/fastcdc.js";
import { chunkStream } from "../../src/chunker/chunk-stream.js";
import { gearTable } from "../../src/chunker/gear-table.js";
import { CairnError } from "../../src/core/errors.js";
import { asAsync, collect, seededBytes, seededInts, sha256Hex, split, testSeed } from "./seeded.js";

/** Small params with the default's shape, so properties run on little data. */
const SMALL: ChunkerParams = { min: 1024, avg: 4096, max: 16384 };
const KEY = new Uint8Array(32).fill(7);
const MiB = 1 << 20;

/** Chunk lengths, driving FastCdc.next directly over the given pieces. */
function chunkLengths(cdc: FastCdc, pieces: Uint8Array[]): number[] {
  const lengths: number[] = [];
  let len = 0;
  for (const buf of pieces) {
    let pos = 0;
    for (let cut = cdc.next(buf, 0); cut >= 0; cut = cdc.next(buf, pos)) {
      lengths.push(len + cut - pos);
      len = 0;
      pos = cut;
    }
    len += buf.length - pos;
  }
  if (len > 0) lengths.push(len);
  cdc.reset();
  return lengths;
}

const cdcWith = (params = SMALL, key = KEY) => new FastCdc(gearTable(key), params);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("validateChunkerParams", () => {
  it("accepts the defaults", () => {
    expect(() => validateChunkerParams(DEFAULT_CHUNKER_PARAMS)).not.toThrow();
  });

  it.each([
    [{ min: 1024, avg: 3000, max: 16384 }, /power of two/],
    [{ min: 4096, avg: 4096, max: 16384 }, /min < avg < max/],
    [{ min: 1024, avg: 4096, max: 4096 }, /min < avg < max/],
    [{ min: 16, avg: 4096, max: 16384 }, /at least 64/],
    [{ min: 1024, avg: 4096, max: 2 ** 30 }, /max must be at most/],
    [{ min: 1024, avg: 2 ** 29, max: 2 ** 30 }, /avg must be at most/],
    [{ min: 1024.5, avg: 4096, max: 16384 }, /integers/],
    [{ min: 1024, avg: 0, max: 16384 }, /power of two/],
  ])("rejects %j", (params, message) => {
    expect(() => validateChunkerParams(params)).toThrow(message);
    expect(() => validateChunkerParams(params)).toThrow(CairnError);
  });
});

describe("FastCdc", () => {
  it("keeps every chunk within [min, max] except the last, and covers the input", () => {
    const seed = testSeed("fastcdc bounds");
    const nextLength = seededInts(seed, 0, 300_000);
    for (let round = 0; round < 20; round++) {
      const data = seededBytes(`${seed}/${round}`, nextLength());
      const lengths = chunkLengths(cdcWith(), [data]);
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
      for (const n of lengths.slice(0, -1)) {
        expect(n).toBeGreaterThanOrEqual(SMALL.min);
        expect(n).toBeLessThanOrEqual(SMALL.max);
      }
      expect(lengths.at(-1) ?? 0).toBeLessThanOrEqual(SMALL.max);
    }
  });

  it("gives the same boundaries whatever the buffer splitting", () => {
    const seed = testSeed("fastcdc splitting");
    const data = seededBytes(seed, 400_000);
    const whole = chunkLengths(cdcWith(), [data]);
    const random = seededInts(seed, 1, 50_000);
    for (const size of [() => 1, () => 7, () => 65536, random]) {
      expect(chunkLengths(cdcWith(), split(data, size))).toEqual(whole);
    }
  });

  it("cuts at max when the content never matches the mask (all zeros)", () => {
    const lengths = chunkLengths(cdcWith(), [new Uint8Array(100_000)]);
    expect(lengths.slice(0, -1).every((n) => n >= SMALL.min && n <= SMALL.max)).toBe(true);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(100_000);
  });

  it("depends on the key: same key, same boundaries; different key, different ones", () => {
    const seed = testSeed("fastcdc keys");
    const data = seededBytes(seed, MiB);
    const a = chunkLengths(cdcWith(SMALL, new Uint8Array(32).fill(1)), [data]);
    const a2 = chunkLengths(cdcWith(SMALL, new Uint8Array(32).fill(1)), [data]);
    const b = chunkLengths(cdcWith(SMALL, new Uint8Array(32).fill(2)), [data]);
    expect(a2).toEqual(a);
    expect(b).not.toEqual(a);
  });

  it("averages within 25% of avg on random data (small and default-shaped params)", () => {
    const seed = testSeed("fastcdc average");
    const data = seededBytes(seed, 16 * MiB);
    for (const params of [SMALL, { min: 8192, avg: 16384, max: 131072 }]) {
      const lengths = chunkLengths(cdcWith(params), [data]).slice(0, -1);
      expect(Math.abs(mean(lengths) / params.avg - 1)).toBeLessThan(0.25);
    }
  });

  it("reset() forgets a partial chunk", () => {
    const data = seededBytes("reset", 200_000);
    const cdc = cdcWith();
    expect(cdc.next(data.subarray(0, 500), 0)).toBe(-1);
    cdc.reset();
    expect(chunkLengths(cdc, [data])).toEqual(chunkLengths(cdcWith(), [data]));
  });

  it("rejects a start outside the buffer", () => {
    expect(() => cdcWith().next(new Uint8Array(10), 11)).toThrow(RangeError);
  });

  it("is pinned: the same key and bytes must always give the same boundaries", () => {
    const lengths = chunkLengths(cdcWith(), [seededBytes("golden", 60_000)]);
    expect(lengths).toMatchInlineSnapshot(`
      [
        1907,
        4130,
        5360,
        4124,
        4229,
        4122,
        2367,
        4508,
        5021,
        1139,
        4299,
        1493,
        5756,
        6863,
        4682,
      ]
    `);
  });
});

describe("FastCdc normalization level", () => {
  const data = seededBytes("levels", 400_000);
  const cuts = (p: ChunkerParams) => chunkLengths(new FastCdc(gearTable(KEY), p), [data]);

  it("defaults to level 2 when the params (a repository made before the field) do not say", () => {
    expect(cuts(SMALL)).toEqual(cuts({ ...SMALL, normalization: 2 }));
  });

  it("new repositories use level 1, which cuts elsewhere and still keeps chunks within [min, max]", () => {
    expect(DEFAULT_CHUNKER_PARAMS.normalization).toBe(1);
    const level1 = cuts({ ...SMALL, normalization: 1 });
    expect(level1).not.toEqual(cuts(SMALL));
    expect(level1.reduce((a, b) => a + b, 0)).toBe(data.length);
    for (const n of level1.slice(0, -1)) expect(n >= SMALL.min && n <= SMALL.max).toBe(true);
  });

  it("refuses a level outside 0-3, or one the average size cannot take", () => {
    expect(() => validateChunkerParams({ ...SMALL, normalization: 4 })).toThrow(/normalization must be 0, 1, 2 or 3/);
    expect(() => validateChunkerParams({ ...SMALL, normalization: 1.5 })).toThrow(/normalization/);
    expect(() => validateChunkerParams({ min: 64, avg: 128, max: 1024, normalization: 3 })).not.toThrow();
  });
});

describe("FastCdc shift resistance (default params)", () => {
  it("changes at most 3 chunks when 10 bytes are inserted in the middle of 64 MiB", async () => {
    const seed = testSeed("fastcdc shift");
    const original = seededBytes(seed, 64 * MiB);
    const middle = original.length / 2;
    const edited = Buffer.concat([
      original.subarray(0, middle),
      seededBytes(`${seed}/insert`, 10),
      original.subarray(middle),
    ]);
    const hashes = async (data: Uint8Array) => {
      const chunker = cdcWith(DEFAULT_CHUNKER_PARAMS);
      const chunks = await collect(chunkStream(asAsync(split(data, () => 65536)), chunker));
      return chunks.map(sha256Hex);
    };
    const before = new Set(await hashes(original));
    const after = await hashes(edited);
    const changed = after.filter((h) => !before.has(h));
    console.log(`shift: ${before.size} chunks before, ${after.length} after, ${changed.length} changed`);
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(3);
  });
});
