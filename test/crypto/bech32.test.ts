import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { decodeBech32, encodeBech32 } from "../../src/crypto/bech32.js";

describe("bech32", () => {
  it("round-trips lower- and upper-case hrps", () => {
    for (const hrp of ["age", "AGE-SECRET-KEY-"]) {
      const bytes = randomBytes(32);
      const s = encodeBech32(hrp, bytes);
      expect(s.startsWith(hrp + "1")).toBe(true);
      expect(decodeBech32(s)).toEqual({ hrp, bytes });
    }
  });

  it("matches the BIP 173 test vector", () => {
    expect(decodeBech32("A12UEL5L")).toEqual({ hrp: "A", bytes: Buffer.alloc(0) });
    expect(encodeBech32("a", new Uint8Array())).toBe("a12uel5l");
  });

  it("rejects mixed case, bad checksums, bad characters and bad padding", () => {
    const s = encodeBech32("age", randomBytes(32));
    expect(decodeBech32(s.slice(0, 5) + s.slice(5).toUpperCase())).toBeUndefined();
    const flipped = s.slice(0, -1) + (s.endsWith("q") ? "p" : "q");
    expect(decodeBech32(flipped)).toBeUndefined();
    expect(decodeBech32(s.slice(0, 10) + "b" + s.slice(11))).toBeUndefined(); // 'b' is not in the charset
    expect(decodeBech32("age1")).toBeUndefined();
  });
});
