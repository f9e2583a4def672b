import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortedError } from "../../src/core/errors.js";
import { ByteStream } from "./helpers/random-tree.js";
import { backup, codecWorkersUsable, indexedBlobs, makeLayout, makeRepo, restore, useWorkDir } from "./helpers/repo.js";
import { diffTrees, walkTree } from "./helpers/walk.js";

/**
 * Files larger than one chunk are read, chunked and hashed on the codec
 * workers (and compressed there when new). The chunks must be exactly those
 * the main-thread path makes, a changed file must still add only its changed
 * chunks, and a backup stopped midway must stop cleanly.
 */
const work = useWorkDir("offload");
const CHUNKER = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 };
const bytes = (seed: string, n: number) => new ByteStream(seed).take(n);

describe("large files chunked on the workers", () => {
  it("chunk like the main thread, restore exactly, and a 10-byte insertion adds at most 3 chunks", async () => {
    if (!(await codecWorkersUsable())) return expect.fail("codec workers do not start here: run `npm run build` first");
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER, packSize: 512 * 1024 });
    mkdirSync(src);
    for (let i = 0; i < 4; i++) writeFileSync(join(src, `big${i}.bin`), bytes(`big${i}`, 1_500_000 + i * 77_777));
    const middle = bytes("middle", 3_000_000);
    writeFileSync(join(src, "middle.bin"), middle);

    const first = await backup(r, [src], { workers: 2, cacheDir: r.cacheDir });
    expect(first.summary).toMatchObject({ filesNew: 5, warnings: 0 });
    const afterFirst = (await indexedBlobs(r)).filter((b) => b.type === 0).length;
    // The main thread's chunker (workers: 0, no cache: every file re-read) finds every chunk already stored.
    const inline = await backup(r, [src], { workers: 0, host: "inline-check" }); // another host: not the next parent
    expect(inline.summary.blobsNew).toBeLessThanOrEqual(2); // at most the changed root tree and skeleton
    expect((await indexedBlobs(r)).filter((b) => b.type === 0).length).toBe(afterFirst);

    writeFileSync(
      join(src, "middle.bin"),
      Buffer.concat([middle.subarray(0, 1_500_000), Buffer.from("0123456789"), middle.subarray(1_500_000)]),
    );
    const changed = await backup(r, [src], { workers: 2, cacheDir: r.cacheDir });
    expect(changed.summary).toMatchObject({ filesChanged: 1, filesUnchanged: 4, warnings: 0 });
    const newData = (await indexedBlobs(r)).filter((b) => b.type === 0).length - afterFirst;
    expect(newData).toBeGreaterThanOrEqual(1);
    expect(newData).toBeLessThanOrEqual(3);

    await restore(r, changed.snapshot.tree, out);
    expect(diffTrees(walkTree(src), walkTree(join(out, src)))).toEqual([]);
  });

  it("a backup stopped while files are being chunked ahead records no snapshot, and the next run completes", async () => {
    if (!(await codecWorkersUsable())) return expect.fail("codec workers do not start here: run `npm run build` first");
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER, packSize: 512 * 1024 });
    mkdirSync(src);
    // Larger than one worker batch (8 MiB), so files started ahead are mid-way when the backup stops.
    for (let i = 0; i < 4; i++) writeFileSync(join(src, `f${i}.bin`), Buffer.alloc(12_000_000, i + 1));
    const stop = new AbortController();
    const run = backup(r, [src], {
      workers: 2,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.bytesRead > 0) stop.abort(); // the first report comes with the first chunk stored
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(await (await r.writer()).listSnapshots()).toEqual([]);
    const again = await backup(r, [src], { workers: 2 });
    expect(again.summary).toMatchObject({ filesNew: 4, warnings: 0 });
    await restore(r, again.snapshot.tree, out);
    expect(diffTrees(walkTree(src), walkTree(join(out, src)))).toEqual([]);
  });
});
