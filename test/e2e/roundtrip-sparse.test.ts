import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, lstatSync, openSync, readSync, statfsSync, unlinkSync, writeSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listTree } from "../../src/restore/list-tree.js";
import { ByteStream } from "../pipeline/helpers/random-tree.js";
import { backup, makeLayout, makeRepo, restore, useWorkDir } from "../pipeline/helpers/repo.js";

/**
 * S24: a file larger than 4 GiB (offsets beyond 2^31 and 2^32) that is mostly
 * holes. Backup reads every byte, stores the zero chunks once, and restore
 * writes the data regions only, leaving holes.
 *
 * Cost: the chunker scans ~110-150 MB/s and restore re-reads and re-verifies
 * the zero blob for each of the ~580 chunks, so this takes ~60-90 s on 2
 * cores with the default chunker parameters. (A repository with much larger
 * chunks was tried to speed it up, and hung under vitest: see the report.)
 */
const work = useWorkDir("rt-sparse");
const GiB = 1024 ** 3;
const SIZE = 4.5 * GiB;
/** Data regions: near 0, straddling 2^31, straddling 2^32, and ending exactly at EOF. */
const MiB = 1024 * 1024;
const REGIONS = [
  { offset: 100, length: 4096 },
  { offset: 2 * GiB - 3000, length: 6144 },
  { offset: 4 * GiB - 1000, length: 5120 },
  { offset: SIZE - 3072, length: 3072 },
];

function sha(fd: number, offset: number, length: number): string {
  const buf = Buffer.alloc(length);
  let n = 0;
  while (n < length) {
    const r = readSync(fd, buf, n, length - n, offset + n);
    if (r === 0) break;
    n += r;
  }
  return createHash("sha256").update(buf.subarray(0, n)).digest("hex");
}

/** Why this file system cannot run the test, or undefined when it can. */
function unsupported(dir: string): string | undefined {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  // Restore allocates only the chunks holding data (a few 8 MiB chunks); keep a wide margin.
  if (free < 2 * GiB) return `only ${(free / GiB).toFixed(2)} GiB free in ${dir}`;
  const probe = join(dir, "sparse-probe");
  const fd = openSync(probe, "w");
  try {
    ftruncateSync(fd, SIZE);
    writeSync(fd, Buffer.from("x"), 0, 1, 3 * GiB);
  } catch (e) {
    return `cannot make a ${SIZE}-byte sparse file: ${(e as Error).message}`;
  } finally {
    closeSync(fd);
  }
  const st = lstatSync(probe);
  unlinkSync(probe);
  if (st.blocks * 512 > 64 * 1024 * 1024)
    return `file system does not keep holes (a ${SIZE}-byte file with 1 byte written uses ${st.blocks * 512} bytes)`;
  return undefined;
}

describe("sparse file larger than 4 GiB", () => {
  it("backs up and restores content and holes", { timeout: 240_000 }, async (ctx) => {
    const { src, out, work: w } = makeLayout(work());
    mkdirSync(src);
    const reason = unsupported(src);
    if (reason) {
      console.warn(`[roundtrip-sparse] skipped: ${reason}`);
      ctx.skip(reason);
      return;
    }
    const file = join(src, "huge.img");
    const fd = openSync(file, "wx+", 0o640);
    const bytes = new ByteStream("sparse");
    for (const r of REGIONS) writeSync(fd, bytes.take(r.length), 0, r.length, r.offset);
    ftruncateSync(fd, SIZE);
    const expected = REGIONS.map((r) => sha(fd, r.offset, r.length));
    closeSync(fd);
    const srcStat = lstatSync(file, { bigint: true });

    const r = await makeRepo(w);
    const t0 = Date.now();
    const b = await backup(r, [src]);
    const backupMs = Date.now() - t0;
    expect(b.warnings).toEqual([]);
    expect(b.summary).toMatchObject({ filesNew: 1, bytesRead: SIZE, bytesTotal: SIZE });
    // Zero chunks compress to almost nothing and are stored once; the four data regions are ~18 KiB.
    expect(b.summary.bytesStored).toBeLessThan(4 * MiB);

    const reader = await r.reader();
    const listed = [];
    for await (const e of listTree(reader, b.snapshot.tree, file)) listed.push(e);
    expect(listed).toHaveLength(1);
    expect(listed[0].node.size).toBe(SIZE);

    const target = join(out, "restored");
    const t1 = Date.now();
    const summary = await restore(r, b.snapshot.tree, target);
    const restoreMs = Date.now() - t1;
    expect(summary.errors).toEqual([]);
    expect(summary.bytes).toBe(SIZE);
    const restored = join(target, file);
    const st = lstatSync(restored, { bigint: true });
    expect(Number(st.size)).toBe(SIZE);
    expect(st.mtimeNs / 1000n).toBe(srcStat.mtimeNs / 1000n);
    expect(Number(st.mode & 0o7777n)).toBe(0o640);
    const allocated = Number(st.blocks) * 512;
    console.log(
      `[roundtrip-sparse] backup ${backupMs} ms, restore ${restoreMs} ms, restored file allocates ${(allocated / MiB).toFixed(1)} MiB of ${SIZE / GiB} GiB`,
    );
    // Only chunks holding data are written whole (each region touches at most 2 chunks of at most 8 MiB); the rest stays holes.
    expect(allocated).toBeLessThanOrEqual(REGIONS.length * 2 * 8 * MiB);
    expect(allocated).toBeLessThan(SIZE / 10);

    const rfd = openSync(restored, "r");
    try {
      expect(REGIONS.map((reg) => sha(rfd, reg.offset, reg.length))).toEqual(expected);
      // Between the regions: zeros (holes), including right before EOF's region and past 2^32.
      const zeros = createHash("sha256").update(Buffer.alloc(65536)).digest("hex");
      for (const at of [1 * GiB, 2 * GiB + 65536, 3 * GiB, 4 * GiB + 65536, SIZE - 3072 - 65536])
        expect(sha(rfd, at, 65536), `zeros at ${at}`).toBe(zeros);
    } finally {
      closeSync(rfd);
    }
  });
});
