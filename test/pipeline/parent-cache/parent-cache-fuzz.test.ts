/**
 * docs/RELIABILITY.md S25, decoder fuzzing of the parent cache (src/pipeline/parent-cache/,
 * used here read-only): its contract is to never throw for anything found in
 * a file, only to stop using it. Random records with valid CRCs (what a
 * damaged disk cannot produce, but a bug can) go to the record decoder; whole
 * cache files, valid ones damaged byte by byte, go through the reader, looked
 * up in key order. Bounded time, and no buffer beyond what the file accounts
 * for (a record length is trusted only up to MAX_BODY, and only while the
 * file has bytes left to read).
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays; CAIRN_SOAK=1 runs many more.
 */
import fc from "fast-check";
import type { BlobId } from "../../../src/core/ids.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ParentCacheReader,
  ParentCacheWriter,
  pathKey,
  type CachedFile,
} from "../../../src/pipeline/parent-cache/parent-cache.js";
import {
  checkedKey,
  crc32,
  decodeFile,
  FIXED_BODY,
  FRAME_OVERHEAD,
  MAX_BODY,
} from "../../../src/pipeline/parent-cache/parent-cache-format.js";
import { readFile } from "node:fs/promises";
import {
  byteMutations,
  expectNoThrowAsync,
  expectTyped,
  FuzzCounter,
  mutateBytes,
  RUNS,
} from "../../helpers/decoder-fuzz.js";

const fuzz = new FuzzCounter("S25 parent cache fuzzing");
const GENERATION = "7";
const SNAPSHOT = "ab".repeat(32);
let dir: string;
let valid: Buffer;
let keys: Buffer[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-cache-fuzz-"));
  const w = await ParentCacheWriter.create(dir, "fuzz", { generation: GENERATION });
  keys = [];
  // Enough records to span several of the reader's 64 KiB blocks.
  for (let i = 0; i < 2000; i++) {
    const pad = (n: number) => String(n).padStart(4, "0");
    const key = pathKey([Buffer.from(`d${pad(Math.floor(i / 50))}`), Buffer.from(`f${pad(i % 50)}`)]);
    keys.push(key);
    const rec: CachedFile = {
      size: i * 1000,
      mtimeNs: 1_700_000_000_000_000_000n + BigInt(i),
      ctimeNs: 1_700_000_000_000_000_000n,
      ino: 1000 + i,
      dev: 2049,
      content: Array.from({ length: i % 3 }, (_, k) => `${i}${k}`.padStart(64, "c") as BlobId),
    };
    await w.add(key, rec);
  }
  await w.commit(SNAPSHOT);
  valid = await readFile(join(dir, `files-${SNAPSHOT}`));
});

afterAll(async () => {
  fuzz.report();
  await rm(dir, { recursive: true, force: true });
});

/** A framed record: u32 body length, the body, u32 crc32 of both (parent-cache-format.ts). */
function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(body.length + FRAME_OVERHEAD);
  out.writeUInt32LE(body.length, 0);
  out.set(body, 4);
  out.writeUInt32LE(crc32(out.subarray(0, 4 + body.length)), 4 + body.length);
  return out;
}

describe("S25: parent cache", () => {
  it("checkedKey and decodeFile: any body with a valid CRC", () => {
    const bodies = fc.oneof(
      fc.uint8Array({ minLength: FIXED_BODY, maxLength: 1024 }),
      // A small key length and content count, so the lengths often agree and decodeFile runs.
      fc
        .tuple(fc.nat(40), fc.nat(3), fc.uint8Array({ minLength: 40, maxLength: 40 }))
        .map(([keyLength, count, fixed]) => {
          const b = Buffer.alloc(FIXED_BODY + keyLength + 32 * count, 0x61);
          b.writeUInt32LE(keyLength, 0);
          b.set(fixed, 4 + keyLength);
          b.writeUInt32LE(count, 4 + keyLength + 40);
          return b;
        }),
    );
    fc.assert(
      fc.property(bodies, (body) =>
        expectTyped(
          fuzz,
          frame(body),
          (f) => {
            const key = checkedKey(Buffer.from(f));
            if (key === undefined) return;
            const rec = decodeFile(Buffer.from(f), key.length);
            expect(rec.content.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
          },
          [],
        ),
      ),
      fuzz.params(),
    );
  });

  it("ParentCacheReader: damaged cache files never throw, and every hit is a whole record", async () => {
    const file = join(dir, `files-${"cd".repeat(32)}`);
    const files = fc.oneof(
      byteMutations.map((m) => mutateBytes(valid, m)),
      fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.concat([valid.subarray(0, valid.indexOf(0x0a) + 1), b])),
      // A file cut short after a plausible record length: the reader asks for that many bytes.
      fc.tuple(fc.integer({ min: FIXED_BODY, max: MAX_BODY }), fc.uint8Array({ maxLength: 64 })).map(([n, b]) => {
        const length = Buffer.alloc(4);
        length.writeUInt32LE(n);
        return Buffer.concat([valid.subarray(0, valid.indexOf(0x0a) + 1), length, b]);
      }),
    );
    await fc.assert(
      fc.asyncProperty(files, async (bytes) => {
        await writeFile(file, bytes);
        await expectNoThrowAsync(fuzz, bytes, async () => {
          const reader = await ParentCacheReader.open(dir, "cd".repeat(32), GENERATION);
          if (!reader) return;
          try {
            for (const key of keys) {
              const hit = await reader.lookup(key);
              if (hit) expect(Number.isSafeInteger(hit.size)).toBe(true);
            }
          } finally {
            await reader.close();
          }
        });
      }),
      fuzz.params(Math.max(40, Math.floor(RUNS / 2))),
    );
  });
});
