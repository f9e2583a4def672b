import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteStream } from "../pipeline/helpers/random-tree.js";
import { backup, makeLayout, makeRepo, restore, useWorkDir } from "../pipeline/helpers/repo.js";
import { wordyText } from "../helpers/wordy-text.js";

/**
 * Large files (over 1 MiB) are restored blob by blob on the main thread, each
 * compressed blob decompressed into one buffer reused for the whole file. A
 * real repository, so blobs come as stored: compressed and raw ones
 * interleaved, of varying sizes, and all-zero ones left as holes.
 */
const work = useWorkDir("write-sparse");
const CHUNKER = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 };
const MiB = 1024 * 1024;


describe("restoring large files through a reused decompression buffer", () => {
  it("restores compressible, incompressible and zero regions byte for byte, every blob in its place", async () => {
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER, packSize: 512 * 1024 });
    mkdirSync(src);
    // Chunks of different sizes and kinds in one file: a smaller compressed blob after a larger one must not
    // carry the tail of the previous one, and a raw blob between them must not be read from the buffer.
    const file = Buffer.concat([wordyText(2 * MiB, 1), new ByteStream("noise").take(MiB), Buffer.alloc(MiB), wordyText(MiB + 12_345, 2)]);
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
