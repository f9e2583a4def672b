/**
 * docs/RELIABILITY.md S22: files appended to, truncated and rewritten while the
 * backup reads them. The backup completes, a warning names each changed file
 * ("changed"), and what is stored matches what is recorded: the restored
 * size equals the tree's size and the bytes are a consistent prefix.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays the data.
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import type { BlobId } from "../../src/core/ids.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { Repository } from "../../src/repository/repository.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { removeDir, seededBytes, tempDir, testSeed } from "../e2e/helpers/kill-harness.js";

const seed = testSeed("S22 changed files");
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const SIZE = 3 * 1024 * 1024;

async function setup() {
  const dir = tempDir("changed");
  dirs.push(dir);
  const identity = generateIdentity();
  const storage = new MemoryStorage();
  const { agentKey } = await Repository.init(storage, {
    recipients: [identity.recipient],
    packSize: 256 * 1024,
    chunker: { min: 4096, avg: 16384, max: 65536 },
  });
  const writer = () => Repository.open(storage, { agentKey });
  const reader = () => Repository.open(storage, { agentKey, identities: [identity] });
  return { dir, writer, reader };
}

/** Restore `file` from the snapshot; returns its restored bytes and its recorded size. */
async function restored(
  reader: () => Promise<Repository>,
  tree: string,
  dir: string,
  file: string,
): Promise<{ bytes: Buffer; size: number }> {
  const repo = await reader();
  const target = join(dir, `restore-${Math.random().toString(36).slice(2)}`);
  const res = await restoreSnapshot(repo, tree as BlobId, target);
  expect(res.errors).toEqual([]);
  // The node's recorded size, from the tree of its directory.
  let t = await repo.loadTree(tree as BlobId);
  const parts = file.split("/").filter(Boolean);
  for (const p of parts.slice(0, -1)) t = await repo.loadTree(t.nodes.find((n) => n.name === p)!.subtree as BlobId);
  const node = t.nodes.find((n) => n.name === parts.at(-1))!;
  return { bytes: readFileSync(join(target, file)), size: node.size! };
}

describe("S22: files changed while being backed up", () => {
  const cases: { name: string; change: (path: string, original: Buffer) => Buffer }[] = [
    // Each returns the file's content after the change (the append-only case: the final content).
    {
      name: "appended",
      change: (p, o) => (
        appendFileSync(p, seededBytes(seed, "append", 512 * 1024)),
        Buffer.concat([o, seededBytes(seed, "append", 512 * 1024)])
      ),
    },
    { name: "truncated", change: (p, o) => (truncateSync(p, 1024 * 1024), o.subarray(0, 1024 * 1024)) },
    {
      name: "rewritten at the same size",
      change: (p, o) => {
        const n = Buffer.from(o);
        seededBytes(seed, "rewrite", SIZE).copy(n);
        writeFileSync(p, n);
        return n;
      },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: completes, names the file, stores exactly what it records`, async () => {
      const { dir, writer, reader } = await setup();
      const file = join(dir, "src", "big.bin");
      const original = seededBytes(seed, `big-${c.name}`, SIZE);
      mkdirSync(join(dir, "src"));
      writeFileSync(file, original);
      writeFileSync(join(dir, "src", "other.txt"), "unchanged\n");
      let changedAt = -1;
      let after: Buffer | undefined;
      const warnings: { path: string; message: string }[] = [];
      // The change lands synchronously at the first progress tick, i.e. in the middle of reading big.bin.
      const res = await backupPaths(await writer(), [join(dir, "src")], {
        workers: 0,
        onProgress: (p) => {
          if (after === undefined && p.bytesRead > 0 && p.bytesRead < SIZE) {
            changedAt = p.bytesRead;
            after = c.change(file, original);
          }
        },
        onWarning: (w) => warnings.push(w),
      });
      expect(after, "the change happened mid-read").toBeDefined();
      expect(warnings.map((w) => w.path)).toEqual([file]);
      expect(warnings[0].message).toMatch(/changed/);
      const { bytes, size } = await restored(reader, res.snapshot.tree, dir, file.slice(1));
      expect(bytes.length, "restored size equals the recorded size").toBe(size);
      // Bytes read before the change come from the original; the rest from whichever version the read saw.
      expect(bytes.subarray(0, changedAt).equals(original.subarray(0, changedAt))).toBe(true);
      if (c.name === "appended")
        expect(bytes.equals(after!.subarray(0, bytes.length)), "a prefix of the final content").toBe(true);
      // Up to the new end the bytes are the original's; past it, a read racing the truncation may see
      // the pages being dropped (zeros), which the warning above covers.
      if (c.name === "truncated")
        expect(
          bytes.subarray(0, 1024 * 1024).equals(original.subarray(0, Math.min(bytes.length, 1024 * 1024))),
          "the original up to the truncation point",
        ).toBe(true);
      expect((await checkRepository(await reader(), { readData: true })).problems).toEqual([]);
      // The next run sees the change (the cache must not keep the torn version) and records the file as it is now.
      const again = await backupPaths(await writer(), [join(dir, "src")], { workers: 0 });
      expect(again.warnings).toEqual([]);
      const now = await restored(reader, again.snapshot.tree, dir, file.slice(1));
      expect(now.bytes.equals(readFileSync(file))).toBe(true);
    });
  }

  it("a file appended to by a concurrent process: completes, flags it, stores a consistent prefix", async () => {
    const { dir, writer, reader } = await setup();
    mkdirSync(join(dir, "src"));
    const file = join(dir, "src", "growing.log");
    // Byte i of the file is (i * 7 + i >> 8) & 0xff whatever the write sizes, so any prefix can be checked.
    const pattern = (from: number, n: number) =>
      Buffer.from(Array.from({ length: n }, (_, k) => ((from + k) * 7 + ((from + k) >> 8)) & 0xff));
    writeFileSync(file, pattern(0, SIZE));
    const script = `const fs=require("fs");let at=${SIZE};const p=${JSON.stringify(file)};
      const f=(a,n)=>Buffer.from(Array.from({length:n},(_,k)=>((a+k)*7+((a+k)>>8))&0xff));
      process.stdout.write("ready\\n");
      const t=setInterval(()=>{fs.appendFileSync(p,f(at,4096));at+=4096;},1);
      setTimeout(()=>{clearInterval(t);process.exit(0);},3000);`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((res) => child.stdout.once("data", () => res()));
    try {
      const warnings: { path: string; message: string }[] = [];
      const res = await backupPaths(await writer(), [join(dir, "src")], {
        workers: 0,
        onWarning: (w) => warnings.push(w),
      });
      const { bytes, size } = await restored(reader, res.snapshot.tree, dir, file.slice(1));
      expect(bytes.length).toBe(size);
      expect(bytes.length).toBeGreaterThanOrEqual(SIZE);
      expect(bytes.equals(pattern(0, bytes.length)), "a prefix of the growing file").toBe(true);
      // The appender writes every millisecond: the read cannot miss it.
      expect(warnings.map((w) => w.path)).toEqual([file]);
      expect(warnings[0].message).toMatch(/changed/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
