import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { gearTable } from "../../src/chunker/gear-table.js";
import { CairnError } from "../../src/core/errors.js";

const key = (fill: number) => new Uint8Array(32).fill(fill);

describe("gearTable", () => {
  it("derives 256 entries deterministically from the key", () => {
    const a = gearTable(key(1));
    expect(a).toBeInstanceOf(Uint32Array);
    expect(a.length).toBe(256);
    expect(gearTable(key(1))).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(250); // random uint32s: collisions are ~never
  });

  it("gives unrelated tables for different keys", () => {
    const a = gearTable(key(1));
    const b = gearTable(key(2));
    const same = a.filter((v, i) => v === b[i]).length;
    expect(same).toBeLessThan(2);
  });

  it("is pinned: changing the derivation would move every chunk boundary and break dedup", () => {
    const t = gearTable(key(0));
    const digest = createHash("sha256").update(new Uint8Array(t.buffer)).digest("hex");
    expect({ first: Array.from(t.subarray(0, 3)), digest }).toMatchInlineSnapshot(`
      {
        "digest": "ce07ee422c5bc3c560f25816f86ae994aefe4993bbe59733e163b785a077d80e",
        "first": [
          2992432162,
          516796610,
          1347968701,
        ],
      }
    `);
  });

  it("rejects keys that are not 32 bytes", () => {
    expect(() => gearTable(new Uint8Array(31))).toThrow(CairnError);
    expect(() => gearTable(new Uint8Array(33))).toThrow(/32 bytes/);
  });
});
