/**
 * What a holder of the agent key (or a careless `cp`) can put into a
 * repository must never crash a command (docs/RELIABILITY.md invariant 11): a sealed
 * index file whose rows are out of range (docs/FORMAT.md §Index, Decoding
 * rules), junk under every prefix (§Layout, Stray objects), and a config that
 * declares a prune protocol this cairn does not know (invariant 12). Each
 * case runs the real CLI on a copy of one repository holding two snapshots
 * and asserts the exit code, a message naming the object, and that no stack
 * trace or "unexpected error" reaches the user.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { openConfig, sealConfig } from "../../src/repository/format/repo-config.js";
import { openIndex } from "../../src/repository/format/index-file.js";
import { copyRepo, objectsOfKind, putNamedObject, putObject, putSealedIndex } from "./helpers/damage-repo.js";
import { cliOk, runCli, type CliResult } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";
import { manifest } from "./helpers/kill-harness.js";

let ws: Workspace;
let agent: AgentKey;
/** Snapshot ids, oldest first, and the source tree each holds. */
const snaps: { id: string; files: Record<string, string> }[] = [];
/** A tree blob of the first snapshot, listed in a real index file. */
let realBlob: string;
let cases = 0;

beforeAll(async () => {
  ws = await initWorkspace("hostile");
  agent = AgentKey.parse(readFileSync(ws.agentKey, "utf8"), ws.agentKey);
  writeFileSync(join(ws.src, "a.txt"), "first\n".repeat(1000));
  writeFileSync(join(ws.src, "b.bin"), Buffer.alloc(50_000, 7));
  await snapshot();
  writeFileSync(join(ws.src, "a.txt"), "second\n".repeat(1000));
  writeFileSync(join(ws.src, "c.txt"), "third\n");
  await snapshot();
  const indexKey = objectsOfKind(ws.repo, "index")[0];
  const body = openIndex(agent, readFileSync(join(ws.repo, indexKey)), indexKey);
  realBlob = body.packs.flatMap((p) => p.blobs).find((b) => b[0] === 1)![1];
}, 60_000);

afterAll(() => ws?.cleanup());

async function snapshot(): Promise<void> {
  await cliOk(["backup", ...repoFlags(ws), ws.src]);
  const list = JSON.parse((await cliOk(["snapshots", ...repoFlags(ws), "--json"])).stdout) as { id: string }[];
  snaps.push({ id: list.at(-1)!.id, files: manifest(ws.src) });
}

/** A copy of the repository with `damage` applied; returns the CLI's repository flags for it. */
function hostileCopy(damage: (repo: string) => void): { repo: string; flags: string[]; identity: string[] } {
  const repo = copyRepo(ws.repo, join(ws.dir, `case-${cases++}`));
  damage(repo);
  const flags = ["--repo", repo, "--cache-dir", join(ws.dir, `cache-${cases}`), "--agent-key-file", ws.agentKey];
  return { repo, flags, identity: [...flags, "--identity", ws.identity] };
}

/** No crash: neither a stack trace nor the CLI's wording for an error it did not expect. */
function expectNoCrash(r: CliResult): void {
  const out = r.stdout + r.stderr;
  expect(out).not.toMatch(/\n\s+at |TypeError|RangeError|unexpected error/i);
  expect(r.code).not.toBe(-1);
}

async function expectRestores(flags: string[], snap: { id: string; files: Record<string, string> }): Promise<void> {
  const target = join(ws.dir, `restore-${cases++}`);
  const r = await runCli(["restore", ...flags, snap.id, "--target", target]);
  expectNoCrash(r);
  expect(r.code, r.stderr).toBe(0);
  expect(manifest(join(target, ws.src))).toEqual(snap.files);
}

const PACK = { kind: "data", headerLength: 200 } as const;
/** Each row is out of range in one way a decoder used to trust (docs/FORMAT.md §Index, Decoding rules). */
const POISONS: [string, (pack: string) => unknown][] = [
  ["an unknown blob type", (id) => ({ ...PACK, id, size: 4096, blobs: [[7, realBlob, 0, 10, 10, 0]] })],
  ["an offset of 2^32", (id) => ({ ...PACK, id, size: 4096, blobs: [[1, realBlob, 2 ** 32, 10, 10, 0]] })],
  ["a stored length of 2^40", (id) => ({ ...PACK, id, size: 4096, blobs: [[1, realBlob, 0, 2 ** 40, 10, 1]] })],
  ["a raw length of 2^33", (id) => ({ ...PACK, id, size: 4096, blobs: [[1, realBlob, 0, 10, 2 ** 33, 1]] })],
  ["a pack size smaller than its header", (id) => ({ ...PACK, id, size: 100, blobs: [[1, realBlob, 0, 10, 10, 0]] })],
  ["a blob beyond the end of its pack", (id) => ({ ...PACK, id, size: 4096, blobs: [[1, realBlob, 4000, 90, 90, 0]] })],
  ["a skeleton in a data pack", (id) => ({ ...PACK, id, size: 4096, blobs: [[2, realBlob, 0, 10, 10, 0]] })],
];

describe("a sealed index file with rows out of range (poisoned index)", () => {
  it.each(POISONS)(
    "with %s: check names it, restore, ls and backup go on, prune refuses naming it",
    async (_what, row) => {
      let indexKey = "";
      const h = hostileCopy((repo) => {
        const pack = putNamedObject(repo, "data/", Buffer.from("not a pack, but named like one"));
        indexKey = putSealedIndex(repo, agent, { version: 1, packs: [row(pack.slice(pack.lastIndexOf("/") + 1))] });
      });

      const check = await runCli(["check", ...h.flags]);
      expectNoCrash(check);
      expect(check.code).toBe(1);
      expect(check.stdout).toContain(indexKey);

      await expectRestores(h.identity, snaps[0]);
      const ls = await runCli(["ls", ...h.identity, snaps[0].id]);
      expectNoCrash(ls);
      expect(ls.code, ls.stderr).toBe(0);

      const backup = await runCli(["backup", ...h.flags, ws.src]);
      expectNoCrash(backup);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stderr).toContain(indexKey);

      const prune = await runCli(["prune", ...h.flags]);
      expectNoCrash(prune);
      expect(prune.code).toBe(1);
      expect(prune.stderr).toContain(indexKey);
      expect(prune.stderr).toMatch(/delete it/);
    },
  );
});

/** Junk a file manager, an editor or a careless copy leaves in a repository directory. */
const STRAYS = [
  "README",
  "data/.DS_Store",
  "data/ab/README.txt",
  "data/ab/" + "cd".repeat(32), // a pack name in the wrong fan-out directory
  "meta/.DS_Store",
  "index/notes.md",
  "index/" + "AB".repeat(32), // not lower-case hex
  "snapshots/.DS_Store",
  "prune/Thumbs.db",
  "keys/.DS_Store",
];

describe("stray objects (not cairn's)", () => {
  it("are reported by check with what to do, left alone by prune, and crash nothing", async () => {
    const h = hostileCopy((repo) => {
      for (const key of STRAYS) putObject(repo, key, `junk at ${key}\n`);
    });

    const check = await runCli(["check", ...h.flags]);
    expectNoCrash(check);
    expect(check.code, check.stdout).toBe(0);
    for (const key of STRAYS)
      expect(check.stdout).toMatch(new RegExp(`stray object ${key.replace(/\./g, "\\.")}: .*delete`));
    const json = JSON.parse((await cliOk(["check", ...h.flags, "--json"])).stdout) as { strays: { key: string }[] };
    expect(json.strays.map((s) => s.key).sort()).toEqual([...STRAYS].sort());

    await expectRestores(h.identity, snaps[0]);
    for (const args of [["snapshots"], ["ls", snaps[1].id], ["backup", ws.src], ["forget", "--keep-last", "2"]]) {
      const r = await runCli([args[0], ...h.identity, ...args.slice(1)]);
      expectNoCrash(r);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    // Twice with a short grace period: the second run is phase 2, which deletes what the first condemned.
    for (let i = 0; i < 2; i++) {
      const prune = await runCli(["prune", ...h.identity, "--grace", "2s"]);
      expectNoCrash(prune);
      expect(prune.code, prune.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 2100));
    }
    for (const key of STRAYS) expect(existsSync(join(h.repo, key)), key).toBe(true);
    const after = await runCli(["check", "--read-data", ...h.identity]);
    expect(after.code, after.stdout).toBe(0);
  }, 120_000);
});

describe("a repository that declares another prune protocol (invariant 12)", () => {
  it("prune refuses naming the protocol, check reports it, backups and restores go on", async () => {
    const h = hostileCopy((repo) => {
      const config = openConfig(agent, readFileSync(join(repo, "config")));
      writeFileSync(join(repo, "config"), sealConfig(agent, { ...config, pruneProtocol: "three-phase-v9" }));
    });
    const prune = await runCli(["prune", ...h.flags]);
    expectNoCrash(prune);
    expect(prune.code).toBe(1);
    expect(prune.stderr).toContain('"three-phase-v9"');
    expect(prune.stderr).toContain("two-phase-v1");
    const check = await runCli(["check", ...h.flags]);
    expectNoCrash(check);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/config config: .*"three-phase-v9"/);
    await expectRestores(h.identity, snaps[1]);
  });
});
