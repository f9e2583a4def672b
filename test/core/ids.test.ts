import { describe, expect, it } from "vitest";
import { asBlobId, asObjectId, blobIdOfDigest } from "../../src/core/ids.js";

describe("ids are made by their parsers", () => {
  it("accepts 64 lowercase hex characters and refuses anything else", () => {
    const hex = "ab".repeat(32);
    expect(asBlobId(hex)).toBe(hex);
    expect(asObjectId(hex)).toBe(hex);
    for (const bad of ["AB".repeat(32), "ab".repeat(31), "ab".repeat(32) + "0", "zz".repeat(32), ""]) {
      expect(() => asBlobId(bad)).toThrow(TypeError);
      expect(() => asObjectId(bad)).toThrow(TypeError);
    }
  });

  it("names a 32-byte digest by its hex, and refuses other lengths", () => {
    const digest = Buffer.alloc(32, 0xab);
    expect(blobIdOfDigest(digest)).toBe("ab".repeat(32));
    // A view into a larger buffer (an index row) reads only its own bytes.
    const rows = Buffer.concat([Buffer.alloc(8, 1), digest, Buffer.alloc(8, 2)]);
    expect(blobIdOfDigest(rows.subarray(8, 40))).toBe("ab".repeat(32));
    expect(() => blobIdOfDigest(Buffer.alloc(31))).toThrow(TypeError);
  });
});
