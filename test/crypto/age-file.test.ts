import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { IntegrityError, WrongKeyError } from "../../src/core/errors.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import {
  AGE_CHUNK_SIZE,
  ageDecrypt,
  ageEncrypt,
  ageHeaderLength,
  ageOpenHeader,
  agePlaintextSize,
} from "../../src/crypto/age-file.js";

const K = AGE_CHUNK_SIZE;
const SIZES = [0, 1, 100, K - 1, K, K + 1, 2 * K, 3 * K, 3 * K + 7, 5 * 1024 * 1024 + 12345];

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("ageEncrypt / ageDecrypt", () => {
  const id = generateIdentity();

  it.each(SIZES)("round-trips %i bytes", (size) => {
    const plain = randomBytes(size);
    const file = ageEncrypt(plain, [id.recipient]);
    const headerLength = ageHeaderLength(file)!;
    expect(agePlaintextSize(file.length, headerLength)).toBe(size);
    expect(file.length).toBe(headerLength + 16 + size + 16 * Math.max(1, Math.ceil(size / K)));
    expect(ageDecrypt(file, [id], "test").equals(plain)).toBe(true);
  });

  it("accepts the plaintext in parts, including empty parts and parts spanning chunks", () => {
    const plain = randomBytes(3 * K + 5);
    const cuts = [0, 0, 10, K - 3, K + 2, K + 2, 2 * K + 100, plain.length];
    const parts = cuts.slice(1).map((end, i) => plain.subarray(cuts[i], end));
    expect(ageDecrypt(ageEncrypt(parts, [id.recipient]), [id], "t").equals(plain)).toBe(true);
    expect(ageDecrypt(ageEncrypt([], [id.recipient]), [id], "t").length).toBe(0);
  });

  it("encrypts to several recipients, each of which can decrypt alone", () => {
    const ids = [generateIdentity(), generateIdentity(), generateIdentity()];
    const plain = randomBytes(70_000);
    const file = ageEncrypt(
      plain,
      ids.map((i) => i.recipient),
    );
    for (const i of ids) expect(ageDecrypt(file, [i], "t").equals(plain)).toBe(true);
    expect(ageDecrypt(file, [generateIdentity(), ids[2]], "t").equals(plain)).toBe(true);
  });

  it("refuses to encrypt to nobody", () => {
    expect(() => ageEncrypt(new Uint8Array(1), [])).toThrow(TypeError);
  });

  it("gives WrongKeyError naming the object when no identity matches", () => {
    const file = ageEncrypt(randomBytes(10), [id.recipient]);
    const err = errorOf(() => ageDecrypt(file, [generateIdentity(), generateIdentity()], "packs/ab/abcd"));
    expect(err).toBeInstanceOf(WrongKeyError);
    expect((err as Error).message).toMatch(/packs\/ab\/abcd: no identity matched/);
    expect(errorOf(() => ageOpenHeader(file, [], "x"))).toBeInstanceOf(WrongKeyError);
  });

  it("opens the header from a prefix", () => {
    const file = ageEncrypt(randomBytes(3 * K), [generateIdentity().recipient, id.recipient]);
    const headerLength = ageHeaderLength(file)!;
    const opened = ageOpenHeader(file.subarray(0, headerLength), [id], "t");
    expect(opened.headerLength).toBe(headerLength);
    expect(opened.fileKey.length).toBe(16);
  });
});

describe("tampering and truncation", () => {
  const id = generateIdentity();
  const plain = randomBytes(2 * K + 300);
  const file = ageEncrypt(plain, [id.recipient]);
  const headerLength = ageHeaderLength(file)!;
  const stanzaEnd = file.indexOf("\n---") + 1;

  function flipped(byte: number, bit: number): Buffer {
    const copy = Buffer.from(file);
    copy[byte] ^= 1 << bit;
    return copy;
  }

  it("rejects every single-bit flip in the header", () => {
    for (let byte = 0; byte < headerLength; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const err = errorOf(() => ageDecrypt(flipped(byte, bit), [id], "obj"));
        // A damaged stanza is indistinguishable from one addressed to someone else.
        const allowed = byte >= 22 && byte < stanzaEnd ? [IntegrityError, WrongKeyError] : [IntegrityError];
        expect(
          allowed.some((c) => err instanceof c),
          `byte ${byte} bit ${bit}: ${String(err)}`,
        ).toBe(true);
      }
    }
  });

  it("rejects bit flips in the nonce, payload and tags with IntegrityError", () => {
    const sealedChunk = K + 16;
    const payload = headerLength + 16;
    const offsets = [
      headerLength,
      headerLength + 15, // nonce
      payload,
      payload + 1000,
      payload + K - 1, // chunk 0 data
      payload + K,
      payload + sealedChunk - 1, // chunk 0 tag
      payload + sealedChunk,
      payload + 2 * sealedChunk + 5, // chunks 1, 2
      file.length - 16,
      file.length - 1, // final tag
    ];
    for (const byte of offsets) {
      for (const bit of [0, 7]) {
        const err = errorOf(() => ageDecrypt(flipped(byte, bit), [id], "obj"));
        expect(err, `byte ${byte}`).toBeInstanceOf(IntegrityError);
        expect((err as IntegrityError).objectKey).toBe("obj");
      }
    }
    expect(String(errorOf(() => ageDecrypt(flipped(payload + sealedChunk + 3, 1), [id], "obj")))).toMatch(
      /authentication failed at chunk 1/,
    );
  });

  it("rejects truncation at any point with IntegrityError", () => {
    const payload = headerLength + 16;
    const cuts = [0, 1, 10, 30, headerLength - 1, headerLength, payload - 1, payload, payload + 15, payload + 100];
    cuts.push(payload + K + 16, payload + 2 * (K + 16), payload + K + 15, file.length - 1, file.length - 16);
    for (const cut of cuts) {
      expect(
        errorOf(() => ageDecrypt(file.subarray(0, cut), [id], "obj")),
        `cut at ${cut}`,
      ).toBeInstanceOf(IntegrityError);
    }
    expect(String(errorOf(() => ageDecrypt(file.subarray(0, payload + 2 * (K + 16)), [id], "obj")))).toMatch(
      /truncated: missing final chunk/,
    );
  });

  it("rejects trailing data", () => {
    for (const extra of [1, 16, 17, 1000, K + 16]) {
      const longer = Buffer.concat([file, randomBytes(extra)]);
      expect(
        errorOf(() => ageDecrypt(longer, [id], "obj")),
        `extra ${extra}`,
      ).toBeInstanceOf(IntegrityError);
    }
    // A whole extra chunk after a full final chunk: the final chunk authenticates as final.
    const full = ageEncrypt(randomBytes(K), [id.recipient]);
    const withChunk = Buffer.concat([full, randomBytes(100)]);
    expect(String(errorOf(() => ageDecrypt(withChunk, [id], "obj")))).toMatch(/trailing data after final chunk 0/);
  });

  it("rejects swapped chunks", () => {
    const payload = headerLength + 16;
    const s = K + 16;
    const swapped = Buffer.concat([
      file.subarray(0, payload),
      file.subarray(payload + s, payload + 2 * s),
      file.subarray(payload, payload + s),
      file.subarray(payload + 2 * s),
    ]);
    expect(errorOf(() => ageDecrypt(swapped, [id], "obj"))).toBeInstanceOf(IntegrityError);
  });
});
