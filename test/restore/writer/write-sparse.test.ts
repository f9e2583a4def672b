import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteStream } from "../../pipeline/helpers/random-tree.js";
import { backup, makeLayout, makeRepo, restore, useWorkDir } from "../../pipeline/helpers/repo.js";
import { wordyText } from "../../helpers/wordy-text.js";
import { restoreSnapshot } from "../../../src/restore/restore-tree.js";
import type { SnapshotReader } from "../../../src/restore/shared/snapshot-reader.js";

/**
 * Large files (over 1 MiB) are restored blob by blob: the main thread reads
 * each stored blob, a writer thread decompresses it into a buffer it reuses,
 * verifies it and writes it at its position. A real repository, so blobs
 * come as stored: compressed and raw ones interleaved, of varying sizes, and
 * all-zero ones left as holes.
 */
const work = useWorkDir("write-sparse");
const CHUNKER = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 };
const MiB = 1024 * 1024;

describe("restoring large files through a reused decompression buffer", () => {
  it("a stored blob that decrypts but does not match its id fails only its file, which is not left behind", async () => {
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER, packSize: 512 * 1024 });
    mkdirSync(src);
    const big = wordyText(3 * MiB, 4);
    writeFileSync(join(src, "big.txt"), big);
    const other = wordyText(2 * MiB, 5);
    writeFileSync(join(src, "other.txt"), other);
    const b = await backup(r, [src], { cacheDir: r.cacheDir });
    const reader = await r.reader();
    // The third blob read comes back with one byte changed: as a store holding the recipients could forge it.
    let reads = 0;
    const forging: SnapshotReader = {
      loadTree: (id) => reader.loadTree(id),
      readBlob: (id) => reader.readBlob(id),
      exportBlobIdKey: () => reader.exportBlobIdKey!(),
      readStoredBlob: async (id) => {
        const s = await reader.readStoredBlob!(id);
        if (++reads !== 3) return s;
        const stored = new Uint8Array(s.stored);
        stored[stored.length >> 1]! ^= 1;
        return { ...s, stored };
      },
    };
    const res = await restoreSnapshot(forging, b.snapshot.tree, out);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]!.message).toMatch(/does not match its id|damaged|corrupt/);
    const failed = res.errors[0]!.path.endsWith("big.txt") ? "big.txt" : "other.txt";
    const kept = failed === "big.txt" ? (["other.txt", other] as const) : (["big.txt", big] as const);
    expect(existsSync(join(out, src, failed))).toBe(false);
    expect(readFileSync(join(out, src, kept[0])).equals(kept[1])).toBe(true);
  });

  it("restores compressible, incompressible and zero regions byte for byte, every blob in its place", async () => {
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER, packSize: 512 * 1024 });
    mkdirSync(src);
    // Chunks of different sizes and kinds in one file: a smaller compressed blob after a larger one must not
    // carry the tail of the previous one, and a raw blob between them must not be read from the buffer.
    const file = Buffer.concat([
      wordyText(2 * MiB, 1),
      new ByteStream("noise").take(MiB),
      Buffer.alloc(MiB),
      wordyText(MiB + 12_345, 2),
    ]);
    writeFileSync(join(src, "mixed.bin"), file);
    const second = wordyText(3 * MiB, 3);
    writeFileSync(join(src, "second.txt"), second);

    const b = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(b.summary.warnings).toBe(0);
    const res = await restore(r, b.snapshot.tree, out);
    expect(res.errors).toEqual([]);
    expect(readFileSync(join(out, src, "mixed.bin")).equals(file)).toBe(true);
    expect(readFileSync(join(out, src, "second.txt")).equals(second)).toBe(true);
    expect(statSync(join(out, src, "mixed.bin")).size).toBe(file.length);
  });
});
