import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CairnError } from "../../src/core/errors.js";
import { BestEffortCacheWriter } from "../../src/pipeline/best-effort-cache.js";
import { pathKey } from "../../src/pipeline/parent-cache/parent-cache.js";
import { backup, makeRepo, restore, useWorkDir } from "./helpers/repo.js";

const workDir = useWorkDir("best-effort-cache");
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) execFileSync("umount", [m]);
});

function tree(dir: string, files: number, size: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${String(i).padStart(5, "0")}`), Buffer.alloc(size, i));
}

const record = { size: 1, mtimeNs: 1n, ctimeNs: 1n, ino: 1, dev: 1, content: [] };

describe("a parent cache that cannot be written never fails a backup", () => {
  it("a cache directory that cannot be made: the backup is saved, the cause and fix are said once", async () => {
    const dir = workDir();
    const r = await makeRepo(dir);
    tree(join(dir, "src"), 5, 100);
    writeFileSync(join(dir, "blocker"), "a file where the cache directory should be");
    const problems: CairnError[] = [];
    const res = await backup(r, [join(dir, "src")], {
      cacheDir: join(dir, "blocker", "cache"),
      onCacheProblem: (p) => problems.push(p),
    });
    expect(res.summary.filesNew).toBe(5);
    expect(res.warnings).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0].code).toBe("E_CACHE");
    expect(problems[0].message).toContain(join(dir, "blocker"));
    expect(problems[0].hint).toMatch(/a file is in the way/);
  });

  it("a cache file system that fills up during the backup: the backup is saved, the half-written cache removed", async () => {
    const dir = workDir();
    const r = await makeRepo(dir);
    const cacheFs = join(dir, "small-fs");
    mkdirSync(cacheFs, { recursive: true });
    // A real full disk: a 64 KiB tmpfs holds the first records of 3,000 files, not all of them (needs root, as CI runs).
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", cacheFs]);
    mounts.push(cacheFs);
    tree(join(dir, "src"), 3000, 10);
    const problems: CairnError[] = [];
    const res = await backup(r, [join(dir, "src")], {
      cacheDir: join(cacheFs, "cache"),
      onCacheProblem: (p) => problems.push(p),
    });
    expect(res.summary.filesNew).toBe(3000);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/ENOSPC/);
    expect(problems[0].hint).toMatch(/the file system is full/);
    expect(readdirSync(join(cacheFs, "cache"))).toEqual([]);
    // The snapshot is whole: it restores byte for byte.
    const target = join(dir, "restored");
    await restore(r, res.snapshot.tree, target);
    for (const f of ["f00000", "f01234", "f02999"])
      expect(readFileSync(join(target, dir, "src", f))).toEqual(readFileSync(join(dir, "src", f)));
  });

  it("a cache that cannot be published after the snapshot is saved is reported, not thrown", async () => {
    const dir = join(workDir(), "cache");
    const problems: CairnError[] = [];
    const w = await BestEffortCacheWriter.create(dir, "t", { generation: "0" }, (p) => problems.push(p));
    await w.add(pathKey([Buffer.from("a")]), record);
    rmSync(dir, { recursive: true, force: true }); // the directory vanished under the writer
    await w.commit("ab".repeat(32));
    expect(problems).toHaveLength(1);
    expect(problems[0].code).toBe("E_CACHE");
  });

  it("a record out of order is a bug, not a cache problem: it is thrown", async () => {
    const w = await BestEffortCacheWriter.create(join(workDir(), "cache"), "t", { generation: "0" }, () => {
      throw new Error("not a cache problem");
    });
    await w.add(pathKey([Buffer.from("b")]), record);
    await expect(w.add(pathKey([Buffer.from("a")]), record)).rejects.toBeInstanceOf(RangeError);
    await w.abort();
  });
});
