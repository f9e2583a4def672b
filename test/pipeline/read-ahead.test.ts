import { lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReadAhead } from "../../src/pipeline/read-ahead.js";
import { ReadAheadPolicy } from "../../src/pipeline/read-ahead-policy.js";
import { useWorkDir } from "./helpers/repo.js";

const work = useWorkDir("read-ahead");

/** A block counter the test moves by hand. */
function counter(): { blocks: number; read: () => number } {
  const c = { blocks: 0, read: () => c.blocks };
  return c;
}

describe("ReadAheadPolicy (warm only while the process reads from the disk)", () => {
  it("warms once the process read at least a block per file since the last look, and stops when it reads none", () => {
    const c = counter();
    const p = new ReadAheadPolicy(c.read, 64);
    expect(p.wants(32)).toBe(false); // nothing measured yet
    c.blocks += 64 * 8; // 64 files, 4 KiB each from the disk
    expect(p.wants(32)).toBe(true);
    expect(p.wants(32)).toBe(true); // between looks the mode holds
    c.blocks += 10; // cached: a few blocks for 64 files
    expect(p.wants(32)).toBe(false);
    c.blocks += 64; // disk reads again, seen at the next look (after 64 files), not before
    expect(p.wants(32)).toBe(false);
    expect(p.wants(32)).toBe(true);
  });
});

describe("ReadAhead", () => {
  it("starts no thread while the files are cached", async () => {
    const c = counter();
    const ra = new ReadAhead(new ReadAheadPolicy(c.read, 4));
    for (let i = 0; i < 10; i++) ra.hint([{ path: Buffer.from("/nonexistent/x"), size: 1 }]);
    expect(ra.started).toBe(false);
    await ra.close();
  });

  it("reads the files it is given while the process reads from the disk (their atime moves), and survives unreadable ones", async () => {
    const dir = join(work(), "files");
    mkdirSync(dir, { recursive: true });
    const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    const paths = Array.from({ length: 20 }, (_, i) => {
      const p = join(dir, `f${i}`);
      writeFileSync(p, Buffer.alloc(1000 + i * 5000, i));
      utimesSync(p, old, new Date());
      return p;
    });
    // relatime updates an atime older than the mtime on the next read; a noatime mount never does.
    readFileSync(paths[0]!);
    if (lstatSync(paths[0]!).atimeMs === old.getTime()) return;
    utimesSync(paths[0]!, old, new Date());

    const c = counter();
    const ra = new ReadAhead(new ReadAheadPolicy(c.read, 1));
    c.blocks += 1000;
    const hints = [
      { path: Buffer.from(join(dir, "missing")), size: 10 },
      ...paths.map((p, i) => ({ path: Buffer.from(p), size: 1000 + i * 5000 })),
    ];
    ra.hint(hints);
    expect(ra.started).toBe(true);
    const readAll = async (): Promise<boolean> => paths.every((p) => lstatSync(p).atimeMs > old.getTime());
    for (let i = 0; i < 200 && !(await readAll()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await readAll()).toBe(true);
    await ra.close();
  });
  it("closes without leaving files open, even with reads queued and in flight", async () => {
    const dir = join(work(), "many");
    mkdirSync(dir, { recursive: true });
    const hints = Array.from({ length: 400 }, (_, i) => {
      const p = join(dir, `f${i}`);
      writeFileSync(p, Buffer.alloc(20_000, i));
      return { path: Buffer.from(p), size: 20_000 };
    });
    const openFiles = (): number => readdirSync("/proc/self/fd").length;
    const before = openFiles();
    const c = counter();
    const ra = new ReadAhead(new ReadAheadPolicy(c.read, 1));
    c.blocks += 10_000;
    ra.hint(hints);
    await new Promise((r) => setTimeout(r, 5)); // some reads under way
    await ra.close();
    expect(openFiles()).toBe(before);
  });
});
