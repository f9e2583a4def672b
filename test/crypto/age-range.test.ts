import { describe, expect, it } from "vitest";
import { randomBytes, randomInt } from "node:crypto";
import { IntegrityError } from "../../src/core/errors.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { AGE_CHUNK_SIZE, ageDecryptRange, ageEncrypt, ageOpenHeader } from "../../src/crypto/age-file.js";

const K = AGE_CHUNK_SIZE;

function fixture(size: number) {
  const id = generateIdentity();
  const plain = randomBytes(size);
  const file = ageEncrypt(plain, [id.recipient]);
  const opened = ageOpenHeader(file, [id], "pack");
  const reads: [number, number][] = [];
  const read = async (offset: number, length: number) => {
    reads.push([offset, length]);
    return file.subarray(offset, offset + length);
  };
  return { plain, file, opened, reads, read };
}

describe("ageDecryptRange", () => {
  it("equals the plaintext slice for boundary and random ranges, in at most two reads", async () => {
    const { plain, file, opened, reads, read } = fixture(3 * K + 1234);
    const ranges: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, K],
      [K - 1, 2],
      [K, K],
      [K - 1, K + 2],
      [2 * K, K + 1234],
      [3 * K, 1234],
      [plain.length - 1, 1],
      [0, plain.length],
      [plain.length, 0],
    ];
    for (let i = 0; i < 40; i++) {
      const off = randomInt(plain.length);
      ranges.push([off, randomInt(plain.length - off + 1)]);
    }
    for (const [off, len] of ranges) {
      reads.length = 0;
      const got = await ageDecryptRange(opened, file.length, off, len, read, "pack");
      expect(got.equals(plain.subarray(off, off + len)), `range ${off}+${len}`).toBe(true);
      expect(reads.length).toBeLessThanOrEqual(len === 0 ? 0 : off < K ? 1 : 2);
    }
  });

  it("handles files that end on a chunk boundary and tiny files", async () => {
    for (const size of [1, K, 2 * K]) {
      const { plain, file, opened, read } = fixture(size);
      const got = await ageDecryptRange(opened, file.length, size - 1, 1, read, "pack");
      expect(got.equals(plain.subarray(size - 1))).toBe(true);
    }
  });

  it("authenticates the chunks it reads", async () => {
    const { file, opened } = fixture(3 * K);
    const damaged = Buffer.from(file);
    damaged[opened.headerLength + 16 + (K + 16) + 10] ^= 1; // inside chunk 1
    const read = async (o: number, l: number) => damaged.subarray(o, o + l);
    await expect(ageDecryptRange(opened, file.length, K + 5, 10, read, "pack")).rejects.toThrow(
      /authentication failed at chunk 1/,
    );
    await expect(ageDecryptRange(opened, file.length, 2 * K, 10, read, "pack")).resolves.toHaveLength(10); // chunk 2 is intact
    const badNonce = Buffer.from(file);
    badNonce[opened.headerLength] ^= 1;
    const read2 = async (o: number, l: number) => badNonce.subarray(o, o + l);
    await expect(ageDecryptRange(opened, file.length, 2 * K, 10, read2, "pack")).rejects.toBeInstanceOf(IntegrityError);
  });

  it("detects a wrong file size (final-chunk flag) and short reads", async () => {
    const { file, opened, read } = fixture(3 * K);
    const truncatedSize = opened.headerLength + 16 + 2 * (K + 16);
    // With the size cut at a chunk boundary, chunk 1 looks final; its flag says otherwise.
    await expect(ageDecryptRange(opened, truncatedSize, K, 10, read, "pack")).rejects.toThrow(
      /truncated: missing final chunk/,
    );
    const short = async (o: number, l: number) => file.subarray(o, o + l - 1);
    await expect(ageDecryptRange(opened, file.length, 2 * K, 10, short, "pack")).rejects.toThrow(/short read/);
  });

  it("rejects ranges beyond the plaintext and nonsense arguments", async () => {
    const { file, opened, read } = fixture(1000);
    await expect(ageDecryptRange(opened, file.length, 990, 11, read, "pack")).rejects.toBeInstanceOf(IntegrityError);
    await expect(ageDecryptRange(opened, file.length, -1, 1, read, "pack")).rejects.toBeInstanceOf(RangeError);
    await expect(ageDecryptRange(opened, file.length, 0, 0.5, read, "pack")).rejects.toBeInstanceOf(RangeError);
    await expect(ageDecryptRange(opened, opened.headerLength + 3, 0, 1, read, "pack")).rejects.toBeInstanceOf(
      IntegrityError,
    );
  });
});
