import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { coalesceSmallParts } from "../../src/pipeline/worker-codec.js";

const owned = (n: number) => new Uint8Array(randomBytes(n));
const concat = (parts: readonly Uint8Array[]) =>
  Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

describe("coalesceSmallParts", () => {
  it("keeps the pack's bytes in order, moves large owned parts as they are and copies runs of the rest together", () => {
    const batch = owned(4096); // small files' blobs: views into one shared buffer
    const large = owned(1024 * 1024);
    const parts = [
      batch.subarray(0, 100),
      batch.subarray(100, 1000),
      owned(10),
      large,
      batch.subarray(1000, 4096),
      owned(200),
    ];
    const out = coalesceSmallParts(parts);
    expect(concat(out).equals(concat(parts))).toBe(true);
    expect(out).toHaveLength(3);
    expect(out[1]).toBe(large);
    // Every output owns its whole buffer, so it can be transferred, and none is the shared batch buffer.
    for (const p of out) expect(p.byteOffset === 0 && p.byteLength === p.buffer.byteLength).toBe(true);
    expect(out.some((p) => p.buffer === batch.buffer)).toBe(false);
  });

  it("copies a large part that is a view: moving its buffer would take its neighbours too", () => {
    const big = owned(300 * 1024);
    const view = big.subarray(1024, 200 * 1024);
    const out = coalesceSmallParts([view]);
    expect(out).toHaveLength(1);
    expect(out[0].buffer).not.toBe(big.buffer);
    expect(Buffer.from(out[0]).equals(Buffer.from(view))).toBe(true);
  });

  it("returns nothing for no parts", () => {
    expect(coalesceSmallParts([])).toEqual([]);
  });
});
