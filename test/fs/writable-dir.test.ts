import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDirs, probeWritableDir, writeProblem } from "../../src/fs/writable-dir.js";

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), "cairn-writable-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const errno = (code: string) => Object.assign(new Error(`${code}: failed, mkdir '/cache/cairn'`), { code });

describe("writeProblem", () => {
  it("names the real cause and says what to do for a read-only root, another user's directory, a missing parent", () => {
    expect(writeProblem("/cache/cairn", "/cache/cairn", errno("EROFS"))).toMatchObject({
      code: "EROFS",
      hint: "the file system is read-only: mount a writable volume at /cache/cairn, or point the cache at one (agent.cache_dir, --cache-dir or CAIRN_CACHE_DIR)",
    });
    expect(writeProblem("/cache/cairn", "/cache/cairn", errno("EACCES")).hint).toMatch(
      /^user \d+ may not write there: mount a writable volume at \/cache\/cairn/,
    );
    expect(writeProblem("/cache/cairn", "/cache/cairn", errno("ENOENT")).hint).toMatch(
      /^a directory above it does not exist/,
    );
    expect(writeProblem("/x", "/cache", new Error("odd")).code).toBe("EIO");
  });
});

describe("probeWritableDir", () => {
  it("makes the missing directories and leaves no probe file behind", async () => {
    const target = join(dir, "a", "b", "cairn");
    expect(await probeWritableDir(target)).toBeUndefined();
    expect((await stat(target)).isDirectory()).toBe(true);
    expect(await readdir(target)).toEqual([]);
  });

  it("a file in the way is ENOTDIR at that path, not a confusing ENOENT", async () => {
    await writeFile(join(dir, "file"), "");
    const p = await probeWritableDir(join(dir, "file", "cairn", "x"), join(dir, "file", "cairn"));
    expect(p).toMatchObject({ code: "ENOTDIR", path: join(dir, "file") });
    expect(p?.hint).toContain(`mount a writable volume at ${join(dir, "file", "cairn")}`);
    await expect(makeDirs(join(dir, "file", "y"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
