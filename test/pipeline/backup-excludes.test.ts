import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listTree } from "../../src/restore/list-tree.js";
import { backup, makeLayout, makeRepo, restore, useWorkDir } from "./helpers/repo.js";
import { walkTree } from "./helpers/walk.js";

/** Exclude patterns (sources/exclude.ts semantics): basename globs, dir-only `x/`, absolute globs. */
const work = useWorkDir("excl");

describe("excludes", () => {
  it("leaves excluded files, dirs and subtrees out of the snapshot", async () => {
    const { src, out, work: w } = makeLayout(work());
    const files = [
      "keep.txt",
      "a.tmp",
      ".tmp",
      "sub/b.tmp",
      "sub/keep.tmpx",
      "sub/cache", // a FILE named cache: `cache/` only matches directories
      "cache/inside.txt", // a dir named cache: excluded with its contents
      "deep/er/cache/x", // at any depth
      "x.tmp/inside.txt", // a directory matching *.tmp
      "skip/me/a.txt", // /abs/.../skip/** : the subtree, the dir included
      "skip/me/b/c.txt",
      "skipnot/a.txt",
      "exact.txt",
      "sub/exact.txt", // only the absolute one is excluded
    ];
    for (const f of files) {
      mkdirSync(join(src, f, ".."), { recursive: true });
      writeFileSync(join(src, f), f);
    }
    symlinkSync("keep.txt", join(src, "link.tmp"));
    const r = await makeRepo(w);
    const b = await backup(r, [src], { excludes: ["*.tmp", "cache/", `${src}/skip/**`, `${src}/exact.txt`] });
    expect(b.warnings).toEqual([]);

    const reader = await r.reader();
    const paths: string[] = [];
    for await (const e of listTree(reader, b.snapshot.tree, src)) paths.push(e.path.slice(src.length) || "/");
    expect(paths.sort()).toEqual(
      [
        "/",
        "/keep.txt",
        "/sub",
        "/sub/keep.tmpx",
        "/sub/cache",
        "/sub/exact.txt",
        "/deep",
        "/deep/er",
        "/skipnot",
        "/skipnot/a.txt",
      ].sort(),
    );
    expect(b.summary).toMatchObject({ filesNew: 5 });

    const target = join(out, "r");
    expect((await restore(r, b.snapshot.tree, target)).errors).toEqual([]);
    expect([...walkTree(join(target, src)).entries.keys()].map((p) => p || "/").sort()).toEqual(paths.sort());
  });
});
