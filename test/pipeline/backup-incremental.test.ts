import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteStream } from "./helpers/random-tree.js";
import { ancestorStamp, backup, indexedBlobs, makeLayout, makeRepo, restore, useWorkDir } from "./helpers/repo.js";
import { diffTrees, walkTree } from "./helpers/walk.js";

/**
 * Incremental semantics: what a second and third backup of a changing tree
 * report, what each snapshot restores to, and how snapshots chain.
 */
const work = useWorkDir("incr");
const CHUNKER = { min: 1024, avg: 4096, max: 16384 };
const bytes = (seed: string, n: number) => new ByteStream(seed).take(n);

describe("incremental backups", () => {
  it("counts new / changed / unchanged files, restores every version, chains parents", async () => {
    const { src, out, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER, packSize: 128 * 1024 });
    mkdirSync(join(src, "sub", "deep"), { recursive: true });
    writeFileSync(join(src, "keep.txt"), "unchanged content\n");
    writeFileSync(join(src, "modify.bin"), bytes("modify-v1", 50_000));
    writeFileSync(join(src, "delete.txt"), "goes away\n");
    writeFileSync(join(src, "touch.bin"), bytes("touch", 40_000));
    writeFileSync(join(src, "sub", "same-size.txt"), "AAAA");
    writeFileSync(join(src, "sub", "deep", "untouched"), bytes("deep", 30_000));
    const v1 = walkTree(src);

    const s1 = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(s1.snapshot.parent).toBeUndefined();
    expect(s1.summary).toMatchObject({ filesNew: 6, filesChanged: 0, filesUnchanged: 0, dirs: 3, warnings: 0 });

    // modify one (new size), same-size rewrite with the old mtime (only ctime tells), add one, delete one, touch one.
    writeFileSync(
      join(src, "modify.bin"),
      Buffer.concat([bytes("modify-v1", 50_000).subarray(0, 30_000), bytes("modify-v2", 25_000)]),
    );
    const sameSize = statSync(join(src, "sub", "same-size.txt"));
    writeFileSync(join(src, "sub", "same-size.txt"), "BBBB");
    utimesSync(join(src, "sub", "same-size.txt"), sameSize.atime, sameSize.mtime);
    writeFileSync(join(src, "new.txt"), "brand new\n");
    rmSync(join(src, "delete.txt"));
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(src, "touch.bin"), later, later);
    const v2 = walkTree(src);

    const before2 = new Set((await indexedBlobs(r)).filter((b) => b.type === 0).map((b) => b.id));
    const s2 = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(s2.snapshot.parent).toBe(s1.snapshotId);
    // touch.bin (mtime) and same-size.txt (ctime) are re-read and counted changed; their bytes dedup.
    expect(s2.summary).toMatchObject({ filesNew: 1, filesChanged: 3, filesUnchanged: 2, dirs: 3, warnings: 0 });
    expect(s2.summary.bytesRead).toBe(55_000 + 40_000 + 4 + 10);
    const newData = (await indexedBlobs(r)).filter((b) => b.type === 0 && !before2.has(b.id));
    // modify.bin's changed tail (a few chunks), "BBBB", "brand new": not touch.bin's 40 KB again.
    expect(newData.length).toBeGreaterThanOrEqual(3);
    expect(newData.length).toBeLessThanOrEqual(12);

    // Unchanged third run: all unchanged, parent is the second.
    const s3 = await backup(r, [src], { cacheDir: r.cacheDir });
    expect(s3.snapshot.parent).toBe(s2.snapshotId);
    expect(s3.summary).toMatchObject({ filesNew: 0, filesChanged: 0, filesUnchanged: 6, bytesRead: 0 });

    // Each snapshot restores its own version.
    for (const [name, snap, expected] of [
      ["s1", s1, v1],
      ["s2", s2, v2],
      ["s3", s3, v2],
    ] as const) {
      const target = join(out, name);
      const summary = await restore(r, snap.snapshot.tree, target);
      expect(summary.errors, name).toEqual([]);
      expect(diffTrees(expected, walkTree(join(target, src))), name).toEqual([]);
    }
  });

  it("keeps separate parent chains per path set, and a missing cache only costs re-reading", async () => {
    const { src, work: w } = makeLayout(work());
    const r = await makeRepo(w, { chunker: CHUNKER });
    mkdirSync(join(src, "a"), { recursive: true });
    mkdirSync(join(src, "b"));
    writeFileSync(join(src, "a", "f"), bytes("a", 20_000));
    writeFileSync(join(src, "b", "g"), bytes("b", 20_000));
    const stamp = ancestorStamp(join(src, "a"));
    const a1 = await backup(r, [join(src, "a")], { cacheDir: r.cacheDir });
    const b1 = await backup(r, [join(src, "b")], { cacheDir: r.cacheDir });
    const a2 = await backup(r, [join(src, "a")], { cacheDir: r.cacheDir });
    expect(b1.snapshot.parent).toBeUndefined();
    expect(a2.snapshot.parent).toBe(a1.snapshotId);
    expect(a2.summary).toMatchObject({ filesUnchanged: 1, filesNew: 0 });
    // Another cache directory (e.g. a lost one): the file is re-read, reported new, and dedups.
    const a3 = await backup(r, [join(src, "a")], { cacheDir: join(w, "cache", "other") });
    expect(a3.snapshot.parent).toBe(a2.snapshotId);
    expect(a3.summary).toMatchObject({ filesUnchanged: 0, filesNew: 1, filesChanged: 0, bytesRead: 20_000 });
    // Same content, same tree (unless another process touched /tmp meanwhile: the root tree records its mtime).
    if (ancestorStamp(join(src, "a")) === stamp) expect(a3.snapshot.tree).toBe(a2.snapshot.tree);
    // Two paths at once form their own chain.
    const ab = await backup(r, [join(src, "b"), join(src, "a")], { cacheDir: r.cacheDir });
    expect(ab.snapshot.parent).toBeUndefined();
    expect(ab.snapshot.paths).toEqual([join(src, "a"), join(src, "b")]);
  });
});
