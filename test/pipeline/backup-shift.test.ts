import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { dumpFile } from "../../src/restore/dump-file.js";
import { ByteStream, writeRandomFile } from "./helpers/random-tree.js";
import { backup, indexedBlobs, makeLayout, makeRepo, snapshotDataBlobs, useWorkDir } from "./helpers/repo.js";
import { hashFile } from "./helpers/walk.js";

/**
 * Content-defined chunking at backup level: inserting 10 bytes in the middle
 * of a 64 MiB file (default chunker parameters) adds at most 3 new data blobs;
 * the chunks after the edit re-align.
 */
const work = useWorkDir("shift");
const MiB = 1024 * 1024;

function hashingSink(): { sink: Writable; digest: () => string } {
  const h = createHash("sha256");
  const sink = new Writable({
    write(chunk, _enc, cb) {
      h.update(chunk);
      cb();
    },
  });
  return { sink, digest: () => h.digest("hex") };
}

/** Insert `bytes` at `at` by rewriting the file in place from that offset on. */
function insertAt(path: string, at: number, bytes: Buffer): void {
  const fd = openSync(path, "r+");
  try {
    const size = 64 * MiB;
    const tail = Buffer.alloc(size - at);
    let n = 0;
    while (n < tail.length) n += readSync(fd, tail, n, tail.length - n, at + n);
    const both = Buffer.concat([bytes, tail]);
    for (let off = 0; off < both.length;) off += writeSync(fd, both, off, both.length - off, at + off);
  } finally {
    closeSync(fd);
  }
}

describe("shift resistance", () => {
  it("a 10-byte insertion in a 64 MiB file adds at most 3 data blobs", async () => {
    const { src, work: w } = makeLayout(work());
    mkdirSync(src);
    const file = join(src, "big.bin");
    writeRandomFile(file, 64 * MiB, "shift");
    const r = await makeRepo(w);
    const first = await backup(r, [src], { cacheDir: r.cacheDir });
    const blobs1 = await snapshotDataBlobs(r, first.snapshot.tree);
    // ~1 MiB average chunks: dozens of them.
    expect(blobs1.size).toBeGreaterThan(30);

    insertAt(file, 32 * MiB + 12345, new ByteStream("insert").take(10));
    const dataBefore = new Set((await indexedBlobs(r)).filter((b) => b.type === 0).map((b) => b.id));
    const second = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(second.summary).toMatchObject({ filesChanged: 1, bytesRead: 64 * MiB + 10 });
    const blobs2 = await snapshotDataBlobs(r, second.snapshot.tree);
    const newInSnapshot = [...blobs2].filter((id) => !blobs1.has(id));
    const newInIndex = (await indexedBlobs(r)).filter((b) => b.type === 0 && !dataBefore.has(b.id));
    console.log(
      `[backup-shift] chunks ${blobs1.size} -> ${blobs2.size}; new data blobs ${newInSnapshot.length}; blobsNew in summary ${second.summary.blobsNew} (trees and skeletons included)`,
    );
    expect(newInSnapshot.length).toBeGreaterThanOrEqual(1);
    expect(newInSnapshot.length).toBeLessThanOrEqual(3);
    expect(newInIndex.map((b) => b.id).sort()).toEqual(newInSnapshot.sort());

    // The stored version is the edited file, byte for byte.
    const { sink, digest } = hashingSink();
    const n = await dumpFile(await r.reader(), second.snapshot.tree, file, sink);
    expect(n).toBe(64 * MiB + 10);
    expect(digest()).toBe(hashFile(file));
  });
});
