import { describe, expect, it } from "vitest";
import { chunkStream } from "../../src/chunker/chunk-stream.js";
import { FastCdc, type ChunkerParams } from "../../src/chunker/fastcdc.js";
import { gearTable } from "../../src/chunker/gear-table.js";
import { asAsync, collect, seededBytes, seededInts, sha256Hex, split, testSeed } from "./seeded.js";

const SMALL: ChunkerParams = { min: 1024, avg: 4096, max: 16384 };
const newChunker = () => new FastCdc(gearTable(new Uint8Array(32).fill(7)), SMALL);
const chunksOf = (pieces: Uint8Array[], chunker = newChunker()) => collect(chunkStream(asAsync(pieces), chunker));

describe("chunkStream", () => {
  it("yields nothing for an empty source or only empty buffers", async () => {
    expect(await chunksOf([])).toEqual([]);
    expect(await chunksOf([new Uint8Array(0), new Uint8Array(0)])).toEqual([]);
  });

  it("yields chunks that concatenate to the input, the same whatever the splitting", async () => {
    const seed = testSeed("chunkStream splitting");
    const data = seededBytes(seed, 300_000);
    const whole = await chunksOf([data]);
    expect(Buffer.concat(whole).equals(data)).toBe(true);
    expect(whole.slice(0, -1).every((c) => c.length >= SMALL.min && c.length <= SMALL.max)).toBe(true);
    for (const size of [() => 1, () => 7, () => 65536, seededInts(seed, 0, 40_000)]) {
      const chunks = await chunksOf(split(data, size));
      expect(chunks.map(sha256Hex)).toEqual(whole.map(sha256Hex));
    }
  });

  it("yields fresh copies the consumer may keep, never views of the input", async () => {
    const data = seededBytes("copies", 100_000);
    const input = Uint8Array.from(data);
    const chunks = await chunksOf([input]);
    expect(chunks.every((c) => c.buffer !== input.buffer && c.byteLength === c.buffer.byteLength)).toBe(true);
    input.fill(0); // the source's buffers may be recycled once the stream is done
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it("resets the chunker first, so a chunk never spans streams", async () => {
    const data = seededBytes("reset", 100_000);
    const chunker = newChunker();
    chunker.next(seededBytes("leftover", 3000), 0); // partial chunk from an earlier, abandoned stream
    const a = await chunksOf([data], chunker);
    expect(a.map(sha256Hex)).toEqual((await chunksOf([data])).map(sha256Hex));
  });

  it("yields a final short chunk", async () => {
    const chunks = await chunksOf([new Uint8Array([1, 2, 3])]);
    expect(chunks.map((c) => Array.from(c))).toEqual([[1, 2, 3]]);
  });
});
