/**
 * docs/RELIABILITY.md S13 / invariant 8: a faulty compressor or encryptor is injected
 * (vi.mock of src/compression/zstd.ts and src/crypto/age-stream.ts; the
 * backup runs with the inline codec, `workers: 0`, so the mocks apply). The
 * backup must fail with IntegrityError and no corrupt object may reach
 * storage: every stored pack passes `check --read-data`.
 */
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { IntegrityError } from "../../src/core/errors.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { Repository } from "../../src/repository/repository.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { removeDir, seededBytes, seededText, tempDir, testSeed, writeTree } from "./helpers/kill-harness.js";

/** What the injected faults do; reset before each test. */
const fault = vi.hoisted(() => ({
  /** Damage the output of compressBlob for inputs this selects. */
  compress: undefined as undefined | "flip" | "wrong-content",
  compressWhen: ((_raw: Uint8Array) => true) as (raw: Uint8Array) => boolean,
  /** Flip one ciphertext bit of every age payload encrypted. */
  encrypt: false,
  damaged: 0,
}));

vi.mock("../../src/compression/zstd.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/compression/zstd.js")>();
  return {
    ...real,
    compressBlob(data: Uint8Array, level?: number) {
      const out = real.compressBlob(data, level);
      if (!fault.compress || !out.compressed || !fault.compressWhen(data)) return out;
      fault.damaged++;
      if (fault.compress === "flip") {
        const bytes = new Uint8Array(out.bytes);
        bytes[Math.floor(bytes.length / 2)] ^= 0x10;
        return { bytes, compressed: true };
      }
      // A valid frame of the same length holding other bytes: only a round-trip comparison catches it.
      const other = Uint8Array.from(data);
      other[0] ^= 0xff;
      return { bytes: new Uint8Array(real.compressBlob(other, level).bytes), compressed: true };
    },
  };
});

vi.mock("../../src/crypto/age-stream.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/crypto/age-stream.js")>();
  return {
    ...real,
    encryptPayload(...args: Parameters<typeof real.encryptPayload>) {
      const r = real.encryptPayload(...args);
      if (fault.encrypt) {
        const [, , , out, start] = args;
        out[start + 20] ^= 0x01;
        fault.damaged++;
      }
      return r;
    },
  };
});

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

beforeEach(() => {
  fault.compress = undefined;
  fault.compressWhen = () => true;
  fault.encrypt = false;
  fault.damaged = 0;
});

const seed = testSeed("S13 faulty codec");

async function setup() {
  const dir = tempDir("codec");
  dirs.push(dir);
  const src = join(dir, "src");
  const files: Record<string, Uint8Array> = { "r.bin": seededBytes(seed, "r", 100_000) };
  for (let i = 0; i < 6; i++) files[`t/t${i}.txt`] = seededText(seed, `t${i}`, 30_000);
  writeTree(src, files);
  const identity = generateIdentity();
  const storage = new MemoryStorage();
  const { agentKey } = await Repository.init(storage, {
    recipients: [identity.recipient],
    packSize: 64 * 1024,
    chunker: { min: 1024, avg: 4096, max: 16384 },
  });
  const open = () => Repository.open(storage, { agentKey, identities: [identity] });
  return { src, storage, open };
}

/** Every stored object hashes to its name and every pack decrypts to blobs matching their ids. */
async function expectNothingCorruptStored(open: () => Promise<Repository>): Promise<void> {
  const report = await checkRepository(await open(), { readData: true });
  expect(report.problems).toEqual([]);
  expect(report.dataPacksSkipped).toBe(0);
}

describe("S13: a faulty compressor", () => {
  for (const mode of ["flip", "wrong-content"] as const) {
    it(`(${mode}) on file data: the backup fails with IntegrityError and nothing corrupt is stored`, async () => {
      const { src, storage, open } = await setup();
      fault.compress = mode;
      fault.compressWhen = (raw) => raw[0] !== 0x7b; // not JSON: file data, not trees, skeletons or index files
      await expect(backupPaths(await open(), [src], { workers: 0 })).rejects.toBeInstanceOf(IntegrityError);
      expect(fault.damaged).toBeGreaterThan(0);
      fault.compress = undefined;
      expect([...storage.objects.keys()].filter((k) => k.startsWith("snapshots/"))).toEqual([]);
      await expectNothingCorruptStored(open);
    });
  }

  it("on trees and skeletons: the backup fails with IntegrityError; no snapshot, nothing corrupt stored", async () => {
    const { src, storage, open } = await setup();
    fault.compress = "wrong-content";
    fault.compressWhen = (raw) => raw[0] === 0x7b && !Buffer.from(raw.subarray(0, 24)).toString().includes('"packs"');
    // Trees of a few bytes do not compress; make the tree large enough to.
    writeTree(
      src,
      Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`many/file-with-a-long-name-${i}.txt`, Buffer.from(`x${i}`)]),
      ),
    );
    await expect(backupPaths(await open(), [src], { workers: 0 })).rejects.toBeInstanceOf(IntegrityError);
    expect(fault.damaged).toBeGreaterThan(0);
    fault.compress = undefined;
    expect([...storage.objects.keys()].filter((k) => k.startsWith("snapshots/"))).toEqual([]);
    await expectNothingCorruptStored(open);
  });

  // Regression: index files were once compressed without the round-trip
  // check packs get, so a faulty compressor stored an unreadable index.
  it("a faulty compressor on index files fails the backup; no unreadable index is stored", async () => {
    const { src, open } = await setup();
    fault.compress = "flip";
    fault.compressWhen = (raw) => Buffer.from(raw.subarray(0, 24)).toString().includes('"packs"');
    const res = await backupPaths(await open(), [src], { workers: 0 }).catch((e: unknown) => e);
    fault.compress = undefined;
    expect(res).toBeInstanceOf(IntegrityError);
    await expectNothingCorruptStored(open);
  });
});

describe("S13: a faulty encryptor", () => {
  it("on packs: the backup fails with IntegrityError before any pack is stored", async () => {
    const { src, storage, open } = await setup();
    fault.encrypt = true;
    // Sealed objects (index, snapshot) use the same cipher; the first pack fails first.
    await expect(backupPaths(await open(), [src], { workers: 0 })).rejects.toBeInstanceOf(IntegrityError);
    expect(fault.damaged).toBeGreaterThan(0);
    fault.encrypt = false;
    expect([...storage.objects.keys()].filter((k) => /^(data|meta|index|snapshots)\//.test(k))).toEqual([]);
    await expectNothingCorruptStored(open);
  });
});
