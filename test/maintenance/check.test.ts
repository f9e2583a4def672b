/**
 * checkRepository on an in-memory repository: a clean repository has no
 * problems; each kind of damage is named with the object's key and kind, and
 * a missing pack with the snapshots that need it.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateIdentity, type AgeIdentity } from "../../src/crypto/age-keys.js";
import type { AgentKey } from "../../src/crypto/agent-key.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { Repository } from "../../src/repository/repository.js";
import { MemoryStorage } from "../fault/memory-storage.js";

let dir: string;
let base: MemoryStorage;
let agentKey: AgentKey;
let identity: AgeIdentity;
const snapshots: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cairn-check-"));
  mkdirSync(join(dir, "src"));
  for (let i = 0; i < 6; i++)
    writeFileSync(
      join(dir, "src", `f${i}`),
      Buffer.alloc(30_000, i + 1).map((b, k) => (b * k * 31) & 0xff),
    );
  identity = generateIdentity();
  base = new MemoryStorage();
  ({ agentKey } = await Repository.init(base, {
    recipients: [identity.recipient],
    packSize: 64 * 1024,
    chunker: { min: 1024, avg: 4096, max: 16384 },
  }));
  snapshots.push(
    (await backupPaths(await Repository.open(base, { agentKey }), [join(dir, "src")], { workers: 0 })).snapshotId,
  );
  writeFileSync(join(dir, "src", "new"), "new file\n");
  snapshots.push(
    (await backupPaths(await Repository.open(base, { agentKey }), [join(dir, "src")], { workers: 0 })).snapshotId,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copy(): MemoryStorage {
  const c = new MemoryStorage();
  for (const [k, v] of base.objects) c.objects.set(k, { bytes: v.bytes.slice(), mtime: v.mtime });
  return c;
}
const keys = (s: MemoryStorage, prefix: string) => [...s.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
const flip = (s: MemoryStorage, key: string) => {
  const e = s.objects.get(key)!;
  e.bytes[Math.floor(e.bytes.length / 2)] ^= 1;
};
const check = async (s: MemoryStorage, readData = false, withIdentity = true) =>
  checkRepository(await Repository.open(s, { agentKey, identities: withIdentity ? [identity] : undefined }), {
    readData,
  });

describe("checkRepository", () => {
  it("finds no problem in a clean repository, and verifies every blob with read-data", async () => {
    const r = await check(base, true);
    expect(r.problems).toEqual([]);
    expect(r.snapshots).toBe(2);
    expect(r.packs).toBe(keys(base, "data/").length + keys(base, "meta/").length);
    expect(r.blobsVerified).toBeGreaterThan(0);
    expect(r.dataPacksSkipped).toBe(0);
  });

  it("skips (and counts) data packs without the identity; meta packs are still read", async () => {
    const r = await check(base, true, false);
    expect(r.problems).toEqual([]);
    expect(r.dataPacksSkipped).toBe(keys(base, "data/").length);
  });

  it.each([
    ["data/", "data pack"],
    ["meta/", "meta pack"],
    ["index/", "index"],
    ["snapshots/", "snapshot"],
  ])("names a flipped bit in %s with kind %s", async (prefix, kind) => {
    const s = copy();
    const key = keys(s, prefix)[0];
    flip(s, key);
    const r = await check(s, true);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind, key }));
  });

  it("a damaged index file is reported once; skeletons in intact packs are still walked", async () => {
    const s = copy();
    const index = keys(s, "index/")[0];
    flip(s, index);
    const r = await check(s);
    expect(r.problems.filter((p) => p.key === index).length).toBeGreaterThan(0);
    expect(r.problems.filter((p) => /skeleton unreadable/.test(p.message))).toEqual([]);
    for (const p of r.problems.filter((p) => p.kind === "blob")) expect(p.message).toMatch(/not in any index/);
  });

  it("a missing or truncated data pack: names the pack, and the affected snapshots on its blobs", async () => {
    for (const damage of ["delete", "truncate"] as const) {
      const s = copy();
      const pack = keys(s, "data/")[0];
      if (damage === "delete") s.objects.delete(pack);
      else s.objects.get(pack)!.bytes = s.objects.get(pack)!.bytes.slice(0, 100);
      const r = await check(s);
      expect(r.problems).toContainEqual(
        expect.objectContaining({
          kind: "data pack",
          key: pack,
          message: expect.stringMatching(damage === "delete" ? /missing/ : /truncated/),
        }),
      );
      const affected = new Set(r.problems.filter((p) => p.kind === "blob").flatMap((p) => p.snapshots ?? []));
      expect(affected.size).toBeGreaterThan(0);
      for (const id of affected) expect(snapshots).toContain(id);
    }
  });
});
