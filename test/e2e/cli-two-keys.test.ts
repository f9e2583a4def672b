/**
 * The two-key model end to end (README.md, docs/FORMAT.md §Keys): an agent holding
 * only the agent key backs up, deduplicates, lists and checks; reading file
 * names or contents needs the restore identity, which alone is enough.
 */
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { describeTree, writeSampleTree } from "./helpers/tree.js";
import {
  ancestorStamp,
  backupJson,
  initWorkspace,
  listObjects,
  repoFlags,
  type Workspace,
} from "./helpers/workspace.js";

const SAMPLE_FILES = 5; // regular files written by writeSampleTree

/** A directory whose ancestors nothing else touches during the run (CAIRN_TEST_TMP wins when set). */
function stableBase(): string {
  if (process.env.CAIRN_TEST_TMP) return process.env.CAIRN_TEST_TMP;
  const base = "/var/tmp/cairn-tests";
  mkdirSync(base, { recursive: true });
  return base;
}

describe("recipients-only agent", () => {
  let ws: Workspace & { recipient: string };
  let firstSnapshot: string;

  beforeAll(async () => {
    // Not under /tmp: the root tree records the source's ancestors, and the other test
    // files running in parallel change /tmp's mtime all the time (see the retry below).
    ws = await initWorkspace("two-keys", stableBase());
    await writeSampleTree(ws.src);
    const { result, summary } = await backupJson(ws);
    expect(result.code, result.stderr).toBe(0);
    expect(summary).toMatchObject({ filesNew: SAMPLE_FILES, filesChanged: 0, filesUnchanged: 0 });
    firstSnapshot = summary.snapshot;
  });
  afterAll(() => ws?.cleanup());

  it("backs up again incrementally with only the agent key: files unchanged, nothing re-read, no new data pack", async () => {
    // The root tree records the ancestors of the source (/tmp...); if another
    // process changes /tmp between the two backups, new tree blobs are correct.
    // Retry until both backups saw the same ancestors.
    for (let attempt = 0; attempt < 5; attempt++) {
      const stamp = await ancestorStamp(ws.src);
      const warm = await backupJson(ws);
      expect(warm.result.code, warm.result.stderr).toBe(0);
      const dataBefore = await listObjects(ws.repo, "data");
      const { result, summary } = await backupJson(ws);
      const dataAfter = await listObjects(ws.repo, "data");
      expect(result.code, result.stderr).toBe(0);
      expect(summary).toMatchObject({
        filesNew: 0,
        filesChanged: 0,
        filesUnchanged: SAMPLE_FILES,
        bytesRead: 0,
        warnings: 0,
      });
      if ((await ancestorStamp(ws.src)) !== stamp) continue;
      expect(dataAfter).toEqual(dataBefore);
      expect(summary.packsUploaded).toBe(0);
      return;
    }
    throw new Error("the source's ancestor directories kept changing; could not test incremental backup");
  });

  it("lists snapshots as JSON and checks the repository with only the agent key", async () => {
    const snaps = await cliOk(["snapshots", ...repoFlags(ws), "--json"]);
    const list = JSON.parse(snaps.stdout) as { id: string; paths: string[]; tree: string }[];
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.map((s) => s.id)).toContain(firstSnapshot);
    expect(list[0].paths).toEqual([ws.src]);
    expect(list[0].tree).toMatch(/^[0-9a-f]{64}$/);

    const check = await runCli(["check", ...repoFlags(ws)]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("no problems found");
  });

  it.each([
    ["ls", ["latest"]],
    ["restore", ["latest", "--target", "restored-without-identity"]],
    ["dump", ["latest", "/whatever"]],
  ])("%s without --identity exits 2 and asks for the identity", async (cmd, args) => {
    const r = await runCli([cmd, ...repoFlags(ws), ...args], { cwd: ws.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/identity/);
    expect(r.stderr).toContain("--identity");
    expect(r.stdout).toBe("");
  });

  it("with --identity, ls, dump and restore work and restore is byte-identical (modes, µs mtimes, symlinks, empty dirs and files)", async () => {
    const ls = await cliOk(["ls", ...repoFlags(ws, { identity: ws.identity }), "latest"]);
    expect(ls.stdout).toContain(`${ws.src}/docs/readme.txt`);
    expect(ls.stdout).toContain(`${ws.src}/empty-dir`);

    const dump = await cliOk([
      "dump",
      ...repoFlags(ws, { identity: ws.identity }),
      "latest",
      join(ws.src, "docs", "readme.txt"),
    ]);
    expect(dump.stdoutBytes.equals(await readFile(join(ws.src, "docs", "readme.txt")))).toBe(true);

    const target = join(ws.dir, "restored");
    const r = await cliOk([
      "restore",
      ...repoFlags(ws, { identity: ws.identity }),
      firstSnapshot.slice(0, 12),
      "--target",
      target,
    ]);
    expect(r.stderr).toBe("");
    expect(await describeTree(join(target, ws.src))).toEqual(await describeTree(ws.src));
  });
});

describe("identity alone", () => {
  let ws: Workspace & { recipient: string };
  beforeAll(async () => {
    ws = await initWorkspace("identity-only");
    await writeSampleTree(ws.src);
    expect((await backupJson(ws)).result.code).toBe(0);
  });
  afterAll(() => ws?.cleanup());

  it("snapshots and restore work with only --identity: the agent key is unwrapped from keys/", async () => {
    const flags = repoFlags(ws, { agent: false, identity: ws.identity });
    expect(flags).not.toContain("--agent-key-file");
    const snaps = await cliOk(["snapshots", ...flags, "--json"]);
    const list = JSON.parse(snaps.stdout) as { id: string }[];
    expect(list).toHaveLength(1);

    const target = join(ws.dir, "restored");
    await cliOk(["restore", ...flags, list[0].id, "--target", target]);
    expect(await describeTree(join(target, ws.src))).toEqual(await describeTree(ws.src));
  });
});
