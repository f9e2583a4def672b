import { describe, expect, it } from "vitest";
import { isAllZero, isZeroChunk } from "../../src/core/all-zero.js";

describe("all-zero blobs", () => {
  it("isAllZero looks at every byte, also past the 8 MiB comparison buffer", () => {
    const big = new Uint8Array(9 * 1024 * 1024);
    expect(isAllZero(big)).toBe(true);
    big[big.length - 2] = 1;
    expect(isAllZero(big)).toBe(false);
    expect(isAllZero(new Uint8Array(0))).toBe(true);
    expect(isAllZero(Buffer.from([0, 0, 7, 0]).subarray(0, 2))).toBe(true);
  });

  it("isZeroChunk needs the minimum length and zero bytes throughout", () => {
    expect(isZeroChunk(new Uint8Array(4096), 4096)).toBe(true);
    expect(isZeroChunk(new Uint8Array(4095), 4096)).toBe(false);
    const middle = new Uint8Array(8192);
    middle[4000] = 1;
    expect(isZeroChunk(middle, 4096)).toBe(false);
  });
});
