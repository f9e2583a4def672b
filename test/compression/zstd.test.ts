import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zstd from "zstd-napi/binding.js";
import { compressBlob, decompressBlob } from "../../src/compression/zstd.js";
import { IntegrityError } from "../../src/core/errors.js";

const MiB = 1 << 20;
const text = (n: number) =>
  Buffer.from("2024-05-01T12:00:00Z INFO request served path=/api/v1/items status=200\n".repeat(n));
const random = (n: number) =>
  createCipheriv("aes-256-ctr", Buffer.alloc(32, 3), Buffer.alloc(16)).update(Buffer.alloc(n));

/** A standard zstd frame of `size` zero bytes, with or without the content size in its header. */
function zerosFrame(size: number, withContentSize = true): Buffer {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag, withContentSize ? 1 : 0);
  const out = Buffer.alloc(zstd.compressBound(size));
  if (withContentSize) return out.subarray(0, cctx.compress2(out, Buffer.alloc(size)));
  // The streaming API with no pledged size is how a frame without content size is made.
  const [, written] = cctx.compressStream2(out, Buffer.alloc(size), zstd.EndDirective.end);
  return out.subarray(0, written);
}

function expectIntegrityError(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).kind).toBe("blob");
    expect((err as IntegrityError).objectKey).toBe("blob-1");
    expect((err as Error).message).toMatch(message);
    return;
  }
  expect.unreachable("expected an IntegrityError");
}

describe("compressBlob / decompressBlob", () => {
  it.each([
    { name: "log text", data: text(1000) },
    { name: "8 MiB of text", data: text(120_000) },
    { name: "1 MiB of zeros", data: Buffer.alloc(MiB) },
  ])("round-trips $name, compressed", ({ data }) => {
    const { bytes, compressed } = compressBlob(data);
    expect(compressed).toBe(true);
    expect(bytes.length).toBeLessThan(data.length);
    expect(Buffer.from(decompressBlob(bytes, data.length, "blob-1")).equals(data)).toBe(true);
  });

  it.each([
    { name: "random", data: random(MiB) },
    { name: "empty", data: new Uint8Array(0) },
    { name: "tiny", data: new Uint8Array([42]) },
  ])("stores $name data raw (it would not shrink by 3%)", ({ data }) => {
    const { bytes, compressed } = compressBlob(data);
    expect(compressed).toBe(false);
    expect(bytes).toBe(data);
  });

  it("honours the level (higher compresses at least as well here)", () => {
    const data = text(20_000);
    expect(compressBlob(data, 19).bytes.length).toBeLessThanOrEqual(compressBlob(data, 1).bytes.length);
    expect(Buffer.from(decompressBlob(compressBlob(data, 19).bytes, data.length, "b")).equals(data)).toBe(true);
  });

  it("refuses a wrong raw length", () => {
    const data = text(100);
    const { bytes } = compressBlob(data);
    expectIntegrityError(() => decompressBlob(bytes, data.length - 1, "blob-1"), /declares \d+ bytes, expected/);
    expectIntegrityError(() => decompressBlob(bytes, data.length + 1, "blob-1"), /declares \d+ bytes, expected/);
    expectIntegrityError(() => decompressBlob(bytes, -1, "blob-1"), /invalid raw length/);
  });

  it("refuses corrupt, truncated or foreign bytes", () => {
    const data = text(1000);
    const { bytes } = compressBlob(data);
    const flipped = Uint8Array.from(bytes);
    flipped[Math.floor(bytes.length / 2)] ^= 0x01;
    expectIntegrityError(() => decompressBlob(flipped, data.length, "blob-1"), /corrupt/);
    expectIntegrityError(() => decompressBlob(bytes.subarray(0, bytes.length - 5), data.length, "blob-1"), /corrupt/);
    expectIntegrityError(() => decompressBlob(Buffer.from("not zstd at all"), 15, "blob-1"), /not a zstd frame/);
    expectIntegrityError(() => decompressBlob(new Uint8Array(0), 0, "blob-1"), /not a zstd frame/);
  });

  it("refuses a zstd bomb quickly, without allocating its output", () => {
    const bomb = zerosFrame(100 * MiB); // a few KiB that expand to 100 MiB
    const small = zerosFrame(1024);
    const unsized = zerosFrame(100 * MiB, false);
    const before = process.memoryUsage().arrayBuffers;
    expectIntegrityError(() => decompressBlob(bomb, 1024, "blob-1"), /declares 104857600 bytes, expected 1024/);
    // Honest first frame, bomb appended: the 1 KiB output buffer bounds zstd.
    expectIntegrityError(() => decompressBlob(Buffer.concat([small, bomb]), 1024, "blob-1"), /corrupt/);
    expectIntegrityError(() => decompressBlob(unsized, 1024, "blob-1"), /does not declare/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10 * MiB);
  });

  it("writes standard frames: `zstd -d` restores the original, and we read the CLI's frames", () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-zstd-"));
    try {
      const data = text(50_000);
      const { bytes } = compressBlob(data);
      writeFileSync(join(dir, "blob.zst"), bytes);
      execFileSync("/usr/bin/zstd", ["-q", "-d", join(dir, "blob.zst"), "-o", join(dir, "blob")]);
      expect(readFileSync(join(dir, "blob")).equals(data)).toBe(true);

      writeFileSync(join(dir, "cli"), data);
      execFileSync("/usr/bin/zstd", ["-q", "-19", join(dir, "cli"), "-o", join(dir, "cli.zst")]);
      expect(Buffer.from(decompressBlob(readFileSync(join(dir, "cli.zst")), data.length, "cli")).equals(data)).toBe(
        true,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
